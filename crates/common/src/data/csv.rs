//! Tabular CSV loading: one header row, numeric or categorical columns (inferred, overridable),
//! missing values (`""`, `NA`, `NaN`), the target by name. Errors name file, row and column.
