//! QR codes for verification links, as SVG (for pages and PDFs) and PNG (for downloads).
//!
//! The encoder (`qrcode`) splits the text into optimal segments: a verification URL such as
//! `https://ocop.example.vn/v/AEBAGBAFAYDQ…` puts its lowercase prefix in byte mode and its
//! uppercase base32 tail in alphanumeric mode (5.5 bits a character instead of 8), which keeps
//! the symbol small. Error correction is level M (15 % of the symbol may be damaged).
//!
//! Both images carry the 4-module quiet zone the standard asks for, so they can be placed on any
//! background as they are.

use std::fmt::Write;

use qrcode::{Color, EcLevel, QrCode, Version};

/// Light modules around the symbol, on each side (ISO/IEC 18004 asks for 4).
pub const QUIET_ZONE: usize = 4;

/// The largest scale `png` accepts; larger values are clamped.
pub const MAX_PIXELS_PER_MODULE: u32 = 64;

/// Why a text could not be made into a QR code.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QrError {
    #[error(
        "the text is too long for a QR code at error-correction level M ({length} bytes; \
         a URL of up to about 2,300 characters fits)"
    )]
    TooLong { length: usize },
    #[error("the text cannot be encoded as a QR code: {0}")]
    Encoding(String),
}

/// A QR code (model 2, level M) with its module grid.
#[derive(Debug, Clone)]
pub struct Qr {
    version: i16,
    width: usize,
    /// Row-major, `true` for a dark module; `width * width` entries.
    dark: Vec<bool>,
}

impl Qr {
    /// Encodes `text` at error-correction level M, in the smallest version that holds it.
    pub fn new(text: &str) -> Result<Qr, QrError> {
        Qr::with_level(text, EcLevel::M)
    }

    fn with_level(text: &str, level: EcLevel) -> Result<Qr, QrError> {
        let code = QrCode::with_error_correction_level(text.as_bytes(), level).map_err(
            |error| match error {
                qrcode::types::QrError::DataTooLong => QrError::TooLong { length: text.len() },
                other => QrError::Encoding(other.to_string()),
            },
        )?;
        let version = match code.version() {
            Version::Normal(number) | Version::Micro(number) => number,
        };
        let width = code.width();
        let dark = code
            .to_colors()
            .into_iter()
            .map(|color| color == Color::Dark)
            .collect();
        Ok(Qr {
            version,
            width,
            dark,
        })
    }

    /// The QR version (1–40): the symbol is `17 + 4 × version` modules wide.
    pub fn version(&self) -> i16 {
        self.version
    }

    /// Modules on a side, without the quiet zone.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Whether the module at column `x`, row `y` (without the quiet zone) is dark.
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.width && self.dark[y * self.width + x]
    }

    /// A standalone SVG document: a white square with the quiet zone and one `<path>` of dark
    /// modules (each row's runs merged). The view box counts modules and there is no fixed size,
    /// so it scales to whatever box it is placed in.
    pub fn svg(&self) -> String {
        let side = self.width + 2 * QUIET_ZONE;
        let mut path = String::with_capacity(self.width * self.width);
        for y in 0..self.width {
            let mut x = 0;
            while x < self.width {
                if !self.is_dark(x, y) {
                    x += 1;
                    continue;
                }
                let start = x;
                while x < self.width && self.is_dark(x, y) {
                    x += 1;
                }
                let run = x - start;
                let _ = write!(
                    path,
                    "M{} {}h{run}v1h-{run}z",
                    start + QUIET_ZONE,
                    y + QUIET_ZONE
                );
            }
        }
        format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" shape-rendering="crispEdges"><rect width="{side}" height="{side}" fill="#fff"/><path fill="#000" d="{path}"/></svg>"##
        )
    }

    /// A 1-bit grayscale PNG with the quiet zone, `pixels_per_module` pixels to a module
    /// (clamped to 1..=[`MAX_PIXELS_PER_MODULE`]).
    pub fn png(&self, pixels_per_module: u32) -> Vec<u8> {
        let scale = pixels_per_module.clamp(1, MAX_PIXELS_PER_MODULE) as usize;
        let side = (self.width + 2 * QUIET_ZONE) * scale;
        let row_bytes = side.div_ceil(8);
        // 1-bit grayscale: 1 is white, 0 is black; pixels packed from the most significant bit.
        let mut data = vec![0xffu8; row_bytes * side];
        for py in 0..side {
            let y = (py / scale).wrapping_sub(QUIET_ZONE);
            for px in 0..side {
                let x = (px / scale).wrapping_sub(QUIET_ZONE);
                if self.is_dark(x, y) {
                    data[py * row_bytes + px / 8] &= !(0x80 >> (px % 8));
                }
            }
        }
        let side = u32::try_from(side).unwrap_or(u32::MAX);
        let mut out = Vec::with_capacity(data.len() / 4 + 128);
        let mut encoder = png::Encoder::new(&mut out, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::One);
        // Writing into a Vec cannot fail, and the header (size ≤ 177 + 8 modules × 64 pixels,
        // 1-bit grayscale) and the data length are valid by construction.
        let mut writer = encoder
            .write_header()
            .expect("a valid PNG header for a QR image");
        writer
            .write_image_data(&data)
            .expect("PNG data of the header's size");
        writer.finish().expect("finishing a PNG in memory");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A verification URL of `length` characters: a lowercase prefix, then an uppercase base32
    /// tail (alphabet A–Z, 2–7).
    fn verification_url(length: usize) -> String {
        const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let mut url = String::from("https://ocop.example.vn/v/");
        let mut state: u32 = 0x9e37_79b9;
        while url.len() < length {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            url.push(BASE32[(state % 32) as usize] as char);
        }
        url
    }

    fn png_size(png: &[u8]) -> (u32, u32) {
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
        assert_eq!(&png[12..16], b"IHDR", "the first chunk is IHDR");
        let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
        (width, height)
    }

    /// Decodes a PNG into 8-bit luma.
    fn png_luma(png: &[u8]) -> (usize, usize, Vec<u8>) {
        let mut decoder = png::Decoder::new(std::io::Cursor::new(png));
        decoder.set_transformations(png::Transformations::EXPAND);
        let mut reader = decoder.read_info().unwrap();
        let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
        let frame = reader.next_frame(&mut buffer).unwrap();
        assert_eq!(frame.color_type, png::ColorType::Grayscale);
        assert_eq!(frame.bit_depth, png::BitDepth::Eight);
        buffer.truncate(frame.buffer_size());
        (frame.width as usize, frame.height as usize, buffer)
    }

    #[test]
    fn dimensions_follow_the_version() {
        let qr = Qr::new("https://ocop.example.vn/v/AEBAGBAFAYDQQCIK").unwrap();
        assert!(qr.version() >= 1);
        assert_eq!(qr.width(), 17 + 4 * qr.version() as usize);
        // Finder patterns: the three corners' 7×7 squares start dark.
        for (x, y) in [(0, 0), (qr.width() - 7, 0), (0, qr.width() - 7)] {
            assert!(qr.is_dark(x, y) && qr.is_dark(x + 6, y + 6) && !qr.is_dark(x + 1, y + 1));
        }
        assert!(!qr.is_dark(qr.width(), 0), "outside the grid reads light");
    }

    #[test]
    fn a_200_character_url_fits_in_version_9_at_level_m() {
        let url = verification_url(200);
        assert_eq!(url.len(), 200);
        let qr = Qr::new(&url).unwrap();
        println!(
            "200-character verification URL: QR version {} ({} modules) at level M",
            qr.version(),
            qr.width()
        );
        assert!(qr.version() <= 9, "version {}", qr.version());
        // The same text in byte mode only would need more: the alphanumeric tail pays off.
        let lowercase = Qr::new(&url.to_lowercase()).unwrap();
        assert!(lowercase.version() > qr.version());
    }

    #[test]
    fn svg_is_a_standalone_scalable_document() {
        let qr = Qr::new("https://ocop.example.vn/v/AEBAGBAFAYDQQCIKBMGA").unwrap();
        let svg = qr.svg();
        let side = qr.width() + 2 * QUIET_ZONE;
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains(&format!("viewBox=\"0 0 {side} {side}\"")));
        assert!(svg.contains("shape-rendering=\"crispEdges\""));
        let opening = &svg[..svg.find('>').unwrap()];
        assert!(
            !opening.contains("width=") && !opening.contains("height="),
            "{opening}"
        );
        assert_eq!(svg.matches("<path").count(), 1);
        assert_eq!(svg.matches('<').count(), svg.matches('>').count());
        // The path never enters the quiet zone: every subpath starts at x, y ≥ 4.
        let d = &svg[svg.find(" d=\"").unwrap() + 4..];
        let d = &d[..d.find('"').unwrap()];
        let mut modules = 0;
        for command in d.split('M').filter(|part| !part.is_empty()) {
            let (xy, rest) = command.split_once('h').unwrap();
            let (x, y) = xy.split_once(' ').unwrap();
            let (x, y): (usize, usize) = (x.parse().unwrap(), y.parse().unwrap());
            let run: usize = rest.split_once('v').unwrap().0.parse().unwrap();
            assert!(x >= QUIET_ZONE && y >= QUIET_ZONE);
            assert!(x + run <= QUIET_ZONE + qr.width() && y < QUIET_ZONE + qr.width());
            modules += run;
        }
        let dark = (0..qr.width())
            .flat_map(|y| (0..qr.width()).map(move |x| (x, y)))
            .filter(|&(x, y)| qr.is_dark(x, y))
            .count();
        assert_eq!(modules, dark, "the path covers exactly the dark modules");
    }

    #[test]
    fn png_has_the_quiet_zone_and_the_right_size() {
        let qr = Qr::new("https://ocop.example.vn/v/AEBAGBAFAYDQQCIKBMGA").unwrap();
        let png = qr.png(5);
        let side = ((qr.width() + 2 * QUIET_ZONE) * 5) as u32;
        assert_eq!(png_size(&png), (side, side));
        assert_eq!(png[24], 1, "bit depth 1");
        assert_eq!(png[25], 0, "colour type 0 (grayscale)");
        let (width, height, luma) = png_luma(&png);
        let quiet = QUIET_ZONE * 5;
        for y in 0..height {
            for x in 0..width {
                let inside =
                    (quiet..width - quiet).contains(&x) && (quiet..height - quiet).contains(&y);
                let expected_dark = inside && qr.is_dark((x - quiet) / 5, (y - quiet) / 5);
                assert_eq!(luma[y * width + x] == 0, expected_dark, "pixel ({x}, {y})");
            }
        }
        // A scale of 0 is clamped to one pixel a module.
        assert_eq!(png_size(&qr.png(0)).0, (qr.width() + 2 * QUIET_ZONE) as u32);
    }

    #[test]
    fn png_decodes_back_to_the_text() {
        for length in [40, 120, 200] {
            let url = verification_url(length);
            let qr = Qr::new(&url).unwrap();
            let (width, height, luma) = png_luma(&qr.png(4));
            let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
                luma[y * width + x]
            });
            let grids = image.detect_grids();
            assert_eq!(grids.len(), 1, "one QR code in the image");
            let (meta, text) = grids[0].decode().unwrap();
            assert_eq!(text, url);
            assert_eq!(meta.version.0 as i16, qr.version());
            assert_eq!(meta.ecc_level, 0, "level M is coded as 0");
        }
    }

    #[test]
    fn too_long_a_text_is_refused_with_a_clear_message() {
        let error = Qr::new(&"x".repeat(3000)).unwrap_err();
        assert_eq!(error, QrError::TooLong { length: 3000 });
        assert!(error.to_string().contains("too long"), "{error}");
    }
}
