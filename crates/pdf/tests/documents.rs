//! Each document rendered from a realistic Vietnamese sample, then read back as people's tools
//! read it: `pdftotext -layout` for the text, `pdfinfo` for pages and size (poppler-utils).

mod samples;

use std::path::PathBuf;
use std::process::Command;
use std::sync::LazyLock;

use ocop_pdf::Renderer;
use unicode_normalization::UnicodeNormalization;

static RENDERER: LazyLock<Renderer> = LazyLock::new(Renderer::new);

const NATIONAL: &str = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM";
const MOTTO: &str = "Độc lập - Tự do - Hạnh phúc";
const A4_PORTRAIT: &str = "595.276 x 841.89 pts (A4)";
const A4_LANDSCAPE: &str = "841.89 x 595.276 pts (A4)";

/// A PDF written to a temporary file, read back with poppler's tools.
struct Pdf {
    path: PathBuf,
}

impl Pdf {
    fn new(name: &str, bytes: &[u8]) -> Pdf {
        assert!(bytes.starts_with(b"%PDF-"), "{name} is not a PDF");
        let path =
            std::env::temp_dir().join(format!("ocop-pdf-test-{}-{name}.pdf", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        Pdf { path }
    }

    fn tool(&self, program: &str, args: &[&str]) -> String {
        let output = Command::new(program)
            .args(args)
            .arg(&self.path)
            .args(if program == "pdftotext" {
                &["-"][..]
            } else {
                &[][..]
            })
            .output()
            .unwrap_or_else(|error| {
                panic!(
                    "cannot run {program} ({error}): these tests need poppler-utils \
                     (Debian: apt-get install poppler-utils)"
                )
            });
        assert!(
            output.status.success(),
            "{program} failed on {}: {}",
            self.path.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// The text of all pages (or of one) as laid out on the page (`-layout`), in NFC, each run
    /// of white space as one space. A table's cells that wrap are interleaved line by line.
    fn text(&self, page: Option<u32>) -> String {
        self.extract("-layout", page)
    }

    /// The text in the order it was written (`-raw`): a table's cell whole, even when it wraps.
    fn flow(&self) -> String {
        self.extract("-raw", None)
    }

    fn extract(&self, mode: &str, page: Option<u32>) -> String {
        let page = page.map(|page| page.to_string());
        let mut args = vec![mode, "-enc", "UTF-8"];
        if let Some(page) = &page {
            args.extend(["-f", page, "-l", page]);
        }
        let text: String = self.tool("pdftotext", &args).nfc().collect();
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    fn info(&self, key: &str) -> String {
        let info = self.tool("pdfinfo", &[]);
        info.lines()
            .find_map(|line| line.strip_prefix(&format!("{key}:")))
            .unwrap_or_else(|| panic!("pdfinfo has no {key}: {info}"))
            .trim()
            .to_owned()
    }

    fn pages(&self) -> u32 {
        self.info("Pages").parse().unwrap()
    }
}

impl Drop for Pdf {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[track_caller]
fn assert_contains(text: &str, expected: &[&str]) {
    for needle in expected {
        let needle: String = needle.nfc().collect();
        assert!(text.contains(&needle), "{needle:?} not found in:\n{text}");
    }
}

#[test]
fn certificate() {
    let doc = samples::certificate();
    let pdf = Pdf::new("certificate", &RENDERER.certificate(&doc).unwrap());
    assert_eq!(pdf.pages(), 1);
    assert_eq!(pdf.info("Page size"), A4_LANDSCAPE);
    let text = pdf.text(None);
    assert_contains(
        &text,
        &[
            NATIONAL,
            MOTTO,
            "ỦY BAN NHÂN DÂN",
            "TỈNH ĐỒNG NAI",
            "GIẤY CHỨNG NHẬN SẢN PHẨM OCOP",
            "Số: DNA-2026-000173",
            samples::PRODUCT,
            samples::ENTITY,
            "Mã sản phẩm: DNA-TP-00042",
            "Ấp 3, xã Xuân Bắc, tỉnh Đồng Nai",
            "Đạt hạng 4 sao",
            "72,50 điểm",
            "Quyết định số 26/2026/QĐ-TTg",
            "Quyết định số 1234/QĐ-UBND ngày 10/06/2026",
            "15/06/2026",
            "14/06/2029",
            samples::PLACE_DATE,
            "KT. CHỦ TỊCH",
            "Trần Văn Đức",
            "Quét mã để xác minh",
            "https://ocop.example.vn/v/AEBAGBAFAYDQ",
        ],
    );
    assert!(
        !text.contains('\u{200b}'),
        "no zero-width spaces in the URL"
    );
}

#[test]
fn a_five_star_certificate_by_the_ministry() {
    let mut doc = samples::certificate();
    doc.issuer.body = vec!["Bộ Nông nghiệp và Môi trường".into()];
    doc.stars = 5;
    doc.score = None;
    let pdf = Pdf::new("certificate-5", &RENDERER.certificate(&doc).unwrap());
    assert_eq!(pdf.pages(), 1);
    let text = pdf.text(None);
    assert_contains(&text, &["BỘ NÔNG NGHIỆP VÀ MÔI TRƯỜNG", "Đạt hạng 5 sao"]);
    assert!(
        !text.contains("điểm"),
        "no score line without a score: {text}"
    );
}

#[test]
fn minutes() {
    let doc = samples::minutes();
    let pdf = Pdf::new("minutes", &RENDERER.minutes(&doc).unwrap());
    assert_eq!(pdf.info("Page size"), A4_PORTRAIT);
    assert!(pdf.pages() >= 2);
    let text = pdf.text(None);
    assert_contains(
        &text,
        &[
            NATIONAL,
            MOTTO,
            "UBND TỈNH ĐỒNG NAI",
            "HỘI ĐỒNG ĐÁNH GIÁ, PHÂN HẠNG",
            "Số: 01/BB-HĐ",
            samples::PLACE_DATE,
            "BIÊN BẢN",
            "08 giờ 00, ngày 15/06/2026",
            "Căn cứ Quyết định số 26/2026/QĐ-TTg",
            samples::MEMBER,
            "Phó Chủ tịch",
            "Đặng Thu Thảo",
            "Trịnh Công Sơn (Thành viên) — Đi công tác, có báo cáo",
            samples::PRODUCT,
            samples::ENTITY,
            "72,50",
            "không chấm (xung đột lợi ích)",
            "Điểm trung bình: 72,50. Xếp hạng: 4 sao.",
            "Lưu ý: Chênh lệch > 10 điểm.",
            "Lưu ý: Thiếu tiêu chí bắt buộc.",
            "Xếp hạng: Không đạt.",
            "THƯ KÝ HỘI ĐỒNG",
            "CHỦ TỊCH HỘI ĐỒNG",
            "Bùi Ngọc Yến",
            "Lê Quang Vinh",
        ],
    );
    // What wraps inside a table's cell.
    assert_contains(
        &pdf.flow(),
        &[
            "Trường Đại học Lâm nghiệp (Phân hiệu Đồng Nai)",
            "Võ Văn Ẩn Mật ong hoa cà phê Đắk Nông Có quan hệ gia đình với người đại diện chủ thể",
        ],
    );
    // Page numbers from the second page on, at the top.
    assert!(pdf.text(Some(2)).starts_with("2 "), "{}", pdf.text(Some(2)));
    assert!(!pdf.text(Some(1)).starts_with("1 "));
}

#[test]
fn decision_annex() {
    let doc = samples::decision_annex();
    let pdf = Pdf::new("annex", &RENDERER.decision_annex(&doc).unwrap());
    assert_eq!(pdf.info("Page size"), A4_LANDSCAPE);
    let text = pdf.text(None);
    assert_contains(
        &text,
        &[
            NATIONAL,
            MOTTO,
            "DANH SÁCH SẢN PHẨM OCOP ĐƯỢC CÔNG NHẬN",
            "(Kèm theo Quyết định số 1234/QĐ-UBND ngày 10/06/2026 của Chủ tịch Ủy ban nhân dân tỉnh Đồng Nai)",
            "DNA-TP-00042",
            "DNA-2026-000173",
            "DNA-2026-000184",
            "72,50",
            "4 sao",
            "Tổng cộng: 12 sản phẩm (3 sao: 6; 4 sao: 6)",
        ],
    );
    let rows = text.matches("DNA-2026-0001").count();
    assert_eq!(rows, 12, "every product once");
    // The table's header is on every page.
    for page in 1..=pdf.pages() {
        assert_contains(&pdf.text(Some(page)), &["STT", "Tên sản phẩm", "Chủ thể"]);
    }
}

#[test]
fn scoring_sheet_of_forty_criteria_runs_over_pages_with_its_header_repeated() {
    let doc = samples::scoring_sheet(40);
    let pdf = Pdf::new("sheet", &RENDERER.scoring_sheet(&doc).unwrap());
    assert_eq!(pdf.info("Page size"), A4_PORTRAIT);
    let pages = pdf.pages();
    assert!(pages >= 2, "{pages} page(s)");
    let text = pdf.text(None);
    assert_contains(
        &text,
        &[
            NATIONAL,
            MOTTO,
            "PHIẾU ĐÁNH GIÁ, PHÂN HẠNG SẢN PHẨM OCOP",
            samples::PRODUCT,
            samples::ENTITY,
            samples::MEMBER,
            "Quyết định số 26/2026/QĐ-TTg",
            "Phần A: Sản phẩm và sức mạnh của cộng đồng",
            "Phần D: Tiêu chí bổ sung",
            "Cộng phần A",
            "A10",
            "D10",
            "Nguồn nguyên liệu",
            "(chưa chọn)",
            "TỔNG ĐIỂM",
            doc.total.as_str(),
            "NGƯỜI ĐÁNH GIÁ",
            "(Ký, ghi rõ họ tên)",
            samples::PLACE_DATE,
        ],
    );
    assert_eq!(text.matches("Nguồn nguyên liệu").count(), 8);
    assert_eq!(
        pdf.flow()
            .matches("A1 Nguồn nguyên liệu Sử dụng 100% nguyên liệu tại địa phương 3 3")
            .count(),
        1
    );
    for page in 2..=pages {
        let text = pdf.text(Some(page));
        assert!(
            text.starts_with(&format!("{page} ")),
            "page number on {page}: {text}"
        );
        // Every page the table runs onto repeats its header; the last page may hold only the
        // comments and the signature.
        let has_rows = text.split(' ').any(|word| {
            word.len() >= 2
                && word.starts_with(['A', 'B', 'C', 'D'])
                && word[1..].parse::<u32>().is_ok()
        });
        if has_rows || page < pages {
            assert_contains(&text, &["Mã Tiêu chí Mức đạt Điểm Tối đa"]);
        }
    }
}

#[test]
fn a_short_scoring_sheet_fits_on_one_page() {
    let pdf = Pdf::new(
        "sheet-short",
        &RENDERER.scoring_sheet(&samples::scoring_sheet(4)).unwrap(),
    );
    assert_eq!(pdf.pages(), 1);
}

/// Text is data, never markup: what typst would read as code, emphasis, maths, labels or
/// comments prints as it is.
#[test]
fn markup_characters_in_names_print_as_they_are() {
    let tricky =
        r#"Trà #set *đặc biệt* _hảo hạng_ $x^2$ [mới] <nhãn> @ref // không \ "A" `B` ~ = - + 1."#;
    let mut certificate = samples::certificate();
    certificate.product_name = tricky.into();
    certificate.entity_name = "HTX #{panic()} & $1".into();
    let pdf = Pdf::new("tricky", &RENDERER.certificate(&certificate).unwrap());
    assert_contains(&pdf.flow(), &[tricky, "HTX #{panic()} & $1"]);

    let mut minutes = samples::minutes();
    minutes.present[1].name = tricky.into();
    minutes.conclusion = vec!["#pagebreak() ]) } // /*".into()];
    let pdf = Pdf::new("tricky-minutes", &RENDERER.minutes(&minutes).unwrap());
    assert_contains(&pdf.flow(), &[tricky, "#pagebreak() ]) } // /*"]);
}

#[test]
fn text_in_decomposed_form_prints_the_same() {
    let mut doc = samples::certificate();
    doc.product_name = samples::PRODUCT.nfd().collect();
    let pdf = Pdf::new("nfd", &RENDERER.certificate(&doc).unwrap());
    assert_contains(&pdf.text(None), &[samples::PRODUCT]);
}

#[test]
fn one_renderer_serves_several_threads_and_renders_are_reproducible() {
    let renderer = &*RENDERER;
    let certificate = samples::certificate();
    let sheet = samples::scoring_sheet(12);
    let expected_certificate = renderer.certificate(&certificate).unwrap();
    let expected_sheet = renderer.scoring_sheet(&sheet).unwrap();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|index| {
                let (certificate, sheet) = (&certificate, &sheet);
                scope.spawn(move || {
                    if index % 2 == 0 {
                        (0, renderer.certificate(certificate).unwrap())
                    } else {
                        (1, renderer.scoring_sheet(sheet).unwrap())
                    }
                })
            })
            .collect();
        for handle in handles {
            match handle.join().unwrap() {
                (0, pdf) => assert!(pdf == expected_certificate, "same certificate"),
                (_, pdf) => assert!(pdf == expected_sheet, "same sheet"),
            }
        }
    });
}
