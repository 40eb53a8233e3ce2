//! Reading the records provinces already keep in workbooks (issue 13, started): the values of
//! cells as people wrote them — stars as "3", "3 sao", "3*" or "★★★", dates as text or as Excel's
//! day numbers, product codes of before and after the 2025 reform — and column headers matched
//! after folding ("Tên sản phẩm", "TEN SAN PHAM", "Tên SP"). Pure functions: the importer reads
//! files and writes records around them.

pub mod cells;
