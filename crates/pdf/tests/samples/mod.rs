//! Realistic Vietnamese documents, shared by the tests and the `write_samples` example.
#![allow(dead_code)]

use ocop_pdf::*;

pub const PRODUCT: &str = "Mật ong hoa cà phê Đắk Nông";
pub const ENTITY: &str = "Hợp tác xã Nông nghiệp Xuân Bắc";
pub const MEMBER: &str = "Nguyễn Thị Hường";
pub const CERTIFICATE_NUMBER: &str = "DNA-2026-000173";
pub const PLACE_DATE: &str = "Đồng Nai, ngày 15 tháng 6 năm 2026";
pub const VERIFICATION_URL: &str =
    "https://ocop.example.vn/v/AEBAGBAFAYDQQCIKBMGA2DQPCAIREEYUCULBOGAZDINRYHI6D4QA";

fn s(text: &str) -> String {
    text.to_owned()
}

fn council() -> Issuer {
    Issuer {
        parent: vec![s("UBND tỉnh Đồng Nai")],
        body: vec![s("Hội đồng đánh giá, phân hạng"), s("sản phẩm OCOP")],
    }
}

fn province() -> Issuer {
    Issuer {
        parent: vec![],
        body: vec![s("Ủy ban nhân dân"), s("tỉnh Đồng Nai")],
    }
}

pub fn certificate() -> CertificateDoc {
    let qr = ocop_render::qr::Qr::new(VERIFICATION_URL).expect("a QR code");
    CertificateDoc {
        issuer: province(),
        certificate_number: s(CERTIFICATE_NUMBER),
        product_name: s(PRODUCT),
        product_code: s("DNA-TP-00042"),
        entity_name: s(ENTITY),
        entity_address: s("Ấp 3, xã Xuân Bắc, tỉnh Đồng Nai"),
        stars: 4,
        score: Some(s("72,50")),
        legal_reference: s("Quyết định số 26/2026/QĐ-TTg"),
        decision_number: s("1234/QĐ-UBND"),
        decision_date: s("10/06/2026"),
        issue_date: s("15/06/2026"),
        expiry_date: s("14/06/2029"),
        place_date: s(PLACE_DATE),
        signer: Signer {
            title: vec![
                s("TM. Ủy ban nhân dân"),
                s("KT. Chủ tịch"),
                s("Phó Chủ tịch"),
            ],
            name: s("Trần Văn Đức"),
        },
        qr_svg: qr.svg(),
        verification_url: s(VERIFICATION_URL),
    }
}

pub const MEMBERS: [(&str, &str, &str, &str); 7] = [
    (
        "Lê Quang Vinh",
        "Phó Giám đốc",
        "Sở Nông nghiệp và Môi trường",
        "Chủ tịch",
    ),
    (
        MEMBER,
        "Trưởng phòng",
        "Chi cục Phát triển nông thôn",
        "Phó Chủ tịch",
    ),
    (
        "Phạm Thị Ánh Tuyết",
        "Phó Trưởng phòng",
        "Sở Công Thương",
        "Thành viên",
    ),
    (
        "Hoàng Minh Khôi",
        "Chuyên viên",
        "Sở Khoa học và Công nghệ",
        "Thành viên",
    ),
    (
        "Đặng Thu Thảo",
        "Giảng viên",
        "Trường Đại học Lâm nghiệp (Phân hiệu Đồng Nai)",
        "Thành viên",
    ),
    ("Võ Văn Ẩn", "Chuyên viên", "Sở Y tế", "Thành viên"),
    (
        "Bùi Ngọc Yến",
        "Chuyên viên",
        "Chi cục Phát triển nông thôn",
        "Thư ký",
    ),
];

pub fn minutes() -> MinutesDoc {
    let present = MEMBERS
        .iter()
        .take(6)
        .map(|(name, position, agency, seat)| MemberPresent {
            name: s(name),
            position: s(position),
            agency: s(agency),
            seat: s(seat),
        })
        .chain(std::iter::once(MemberPresent {
            name: s(MEMBERS[6].0),
            position: s(MEMBERS[6].1),
            agency: s(MEMBERS[6].2),
            seat: s(MEMBERS[6].3),
        }))
        .collect();
    let scores = |totals: [&str; 5]| -> Vec<MemberScore> {
        MEMBERS
            .iter()
            .take(5)
            .zip(totals)
            .map(|((name, ..), total)| MemberScore {
                member: s(name),
                score: s(total),
            })
            .collect()
    };
    MinutesDoc {
        issuer: council(),
        number: s("Số: 01/BB-HĐ"),
        place_date: s(PLACE_DATE),
        round_name: s("Kỳ đánh giá, phân hạng sản phẩm OCOP cấp tỉnh năm 2026 (đợt 1)"),
        meeting_time: s("08 giờ 00, ngày 15/06/2026"),
        meeting_place: s("Hội trường Sở Nông nghiệp và Môi trường tỉnh Đồng Nai"),
        legal_basis: vec![
            s(
                "Căn cứ Quyết định số 26/2026/QĐ-TTg của Thủ tướng Chính phủ ban hành Bộ tiêu chí và quy trình đánh giá, phân hạng sản phẩm Chương trình mỗi xã một sản phẩm;",
            ),
            s(
                "Căn cứ Quyết định số 987/QĐ-UBND ngày 02/06/2026 của Chủ tịch Ủy ban nhân dân tỉnh Đồng Nai về việc thành lập Hội đồng đánh giá, phân hạng sản phẩm OCOP cấp tỉnh năm 2026.",
            ),
        ],
        present,
        absent: vec![MemberAbsent {
            name: s("Trịnh Công Sơn"),
            seat: s("Thành viên"),
            reason: s("Đi công tác, có báo cáo"),
        }],
        exclusions: vec![Exclusion {
            member: s("Võ Văn Ẩn"),
            product: s(PRODUCT),
            reason: s("Có quan hệ gia đình với người đại diện chủ thể"),
        }],
        products: vec![
            MinutesProduct {
                name: s(PRODUCT),
                entity: s(ENTITY),
                product_set: s("Thực phẩm chế biến"),
                scores: {
                    let mut list = scores(["73,00", "72,50", "71,00", "74,00", "72,00"]);
                    list.push(MemberScore {
                        member: s("Võ Văn Ẩn"),
                        score: s("không chấm (xung đột lợi ích)"),
                    });
                    list
                },
                mean: s("72,50"),
                rating: s("4 sao"),
                flags: vec![],
            },
            MinutesProduct {
                name: s("Trà mãng cầu Xuân Lộc"),
                entity: s("Công ty TNHH Thực phẩm Sạch Long Khánh"),
                product_set: s("Đồ uống"),
                scores: scores(["58,00", "61,50", "69,00", "57,00", "60,00"]),
                mean: s("61,10"),
                rating: s("3 sao"),
                flags: vec![s("Chênh lệch > 10 điểm")],
            },
            MinutesProduct {
                name: s("Hạt điều rang muối Bình Phước"),
                entity: s("Cơ sở sản xuất Tư Hòa"),
                product_set: s("Thực phẩm chế biến"),
                scores: scores(["48,00", "47,50", "49,00", "46,00", "48,50"]),
                mean: s("47,80"),
                rating: s("Không đạt"),
                flags: vec![s("Thiếu tiêu chí bắt buộc")],
            },
        ],
        conclusion: vec![
            s(
                "Hội đồng thống nhất đề nghị Chủ tịch Ủy ban nhân dân tỉnh công nhận 02 sản phẩm đạt hạng OCOP: 01 sản phẩm 4 sao, 01 sản phẩm 3 sao; 01 sản phẩm chưa đạt, đề nghị chủ thể hoàn thiện hồ sơ để đánh giá lại ở kỳ sau.",
            ),
            s("Thư ký Hội đồng hoàn thiện hồ sơ, trình cấp có thẩm quyền xem xét, quyết định."),
        ],
        closing: s(
            "Cuộc họp kết thúc lúc 11 giờ 30 cùng ngày. Biên bản đã được đọc lại cho các thành viên dự họp cùng nghe và thống nhất.",
        ),
        secretary_name: s(MEMBERS[6].0),
        chair_name: s(MEMBERS[0].0),
    }
}

pub fn decision_annex() -> DecisionAnnexDoc {
    let products = [
        (
            PRODUCT,
            ENTITY,
            "Xã Xuân Bắc, tỉnh Đồng Nai",
            "Thực phẩm chế biến",
            "72,50",
            4,
        ),
        (
            "Trà mãng cầu Xuân Lộc",
            "Công ty TNHH Thực phẩm Sạch Long Khánh",
            "Phường Long Khánh, tỉnh Đồng Nai",
            "Đồ uống",
            "61,10",
            3,
        ),
        (
            "Bưởi da xanh Tân Triều",
            "Tổ hợp tác Bưởi Tân Triều",
            "Xã Tân Triều, tỉnh Đồng Nai",
            "Thực phẩm tươi sống",
            "68,00",
            3,
        ),
        (
            "Chôm chôm Long Khánh sấy dẻo",
            "Hợp tác xã Dịch vụ Nông nghiệp Bảo Vinh",
            "Phường Bảo Vinh, tỉnh Đồng Nai",
            "Thực phẩm chế biến",
            "75,25",
            4,
        ),
    ];
    let rows: Vec<AnnexRow> = (0..12)
        .map(|index| {
            let (name, entity, address, set, score, stars) = products[index % products.len()];
            AnnexRow {
                product_name: s(name),
                product_code: format!("DNA-TP-{:05}", 42 + index),
                entity_name: s(entity),
                address: s(address),
                product_set: s(set),
                score: s(score),
                stars,
                certificate_number: format!("DNA-2026-{:06}", 173 + index),
            }
        })
        .collect();
    DecisionAnnexDoc {
        issuer: province(),
        subtitle: s(
            "(Kèm theo Quyết định số 1234/QĐ-UBND ngày 10/06/2026 của Chủ tịch Ủy ban nhân dân tỉnh Đồng Nai)",
        ),
        rows,
        total: s("Tổng cộng: 12 sản phẩm (3 sao: 6; 4 sao: 6)"),
    }
}

/// A member's sheet with `criteria` criteria spread over four parts.
pub fn scoring_sheet(criteria: usize) -> ScoringSheetDoc {
    let parts = [
        ("A", "Sản phẩm và sức mạnh của cộng đồng", "35"),
        ("B", "Khả năng tiếp thị", "25"),
        ("C", "Chất lượng sản phẩm", "40"),
        ("D", "Tiêu chí bổ sung", "0"),
    ];
    let texts = [
        (
            "Nguồn nguyên liệu",
            "Sử dụng 100% nguyên liệu tại địa phương",
            "3",
            "3",
        ),
        (
            "Gia tăng giá trị",
            "Có sơ chế, chế biến sâu tại địa phương",
            "2",
            "3",
        ),
        (
            "Năng lực sản xuất đáp ứng yêu cầu phân phối",
            "Đáp ứng phân phối trong tỉnh",
            "1",
            "2",
        ),
        (
            "Liên kết sản xuất",
            "Có liên kết chuỗi với trên 50 hộ nông dân, có hợp đồng",
            "2",
            "3",
        ),
        ("Bảo vệ môi trường trong quá trình sản xuất", "", "", "2"),
    ];
    let per_part = criteria.div_ceil(parts.len());
    let mut made = 0;
    let mut total = 0;
    let parts: Vec<SheetPart> = parts
        .iter()
        .map(|(code, name, max)| {
            let count = per_part.min(criteria - made);
            let list: Vec<SheetCriterion> = (0..count)
                .map(|index| {
                    let (text, choice, points, max) = texts[(made + index) % texts.len()];
                    SheetCriterion {
                        code: format!("{code}{}", index + 1),
                        text: s(text),
                        choice: s(choice),
                        points: s(points),
                        max: s(max),
                    }
                })
                .collect();
            made += count;
            let subtotal: u32 = list
                .iter()
                .filter_map(|c| c.points.parse::<u32>().ok())
                .sum();
            total += subtotal;
            SheetPart {
                code: s(code),
                name: s(name),
                max: s(max),
                subtotal: subtotal.to_string(),
                criteria: list,
            }
        })
        .collect();
    ScoringSheetDoc {
        issuer: council(),
        round_name: s("Kỳ đánh giá, phân hạng sản phẩm OCOP cấp tỉnh năm 2026 (đợt 1)"),
        product_name: s(PRODUCT),
        entity_name: s(ENTITY),
        product_set: s("Thực phẩm chế biến"),
        criteria_version: s("Quyết định số 26/2026/QĐ-TTg"),
        member_name: s(MEMBER),
        member_position: s("Trưởng phòng, Chi cục Phát triển nông thôn"),
        parts,
        total: total.to_string(),
        total_max: s("100"),
        comments: vec![s(
            "Sản phẩm có chất lượng ổn định, bao bì đẹp; cần bổ sung kết quả kiểm nghiệm định kỳ và hoàn thiện câu chuyện sản phẩm.",
        )],
        place_date: s(PLACE_DATE),
    }
}
