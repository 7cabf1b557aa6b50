//! The digits images (`data/digits.csv`): 64 pixel columns `pixel_R_C` (8×8, row-major, values
//! 0–16) and a `label` column, as `[1, 8, 8]` images or flat features, plus seeded augmentation.
