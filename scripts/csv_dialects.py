#!/usr/bin/env python3
"""Writes one table every way a spreadsheet or pandas exports it, for the CSV dialect tests.

Usage: python scripts/csv_dialects.py SOURCE.csv OUTDIR

The table is SOURCE (the penguins file in the tests) with Spanish column names and category
levels carrying accents (`Año`, `Observación`, `señor`, the class `Adélie`), and a text column whose levels hold
every delimiter, a quote and a newline, so that quoting is exercised. Each variant is written
with pandas' own `to_csv` (delimiter, decimal mark, encoding, line ending), and OUTDIR gets a
`manifest.json`: one entry per file with the config keys it needs (`data.encoding` for the
8-bit encodings, which cannot be told apart from their bytes) and the delimiter and decimal
mark it was written with. `plain.csv` (comma, point, UTF-8) is the reference every other file
must read as.
"""

import json
import os
import sys

import pandas as pd

NOTES = ["señor, sí", "año; bueno", "tab\taquí", "barra | x", "línea\nnueva", 'comillas "x"']

# (file, to_csv options, config keys needed, delimiter, decimal mark)
VARIANTS = [
    ("plain.csv", {}, {}, ",", "."),
    ("semicolon_decimal_comma.csv", {"sep": ";", "decimal": ","}, {}, ";", ","),
    ("tab.csv", {"sep": "\t"}, {}, "tab", "."),
    ("tab_decimal_comma.csv", {"sep": "\t", "decimal": ","}, {}, "tab", ","),
    ("pipe.csv", {"sep": "|"}, {}, "|", "."),
    ("utf8_bom.csv", {"encoding": "utf-8-sig"}, {}, ",", "."),
    ("crlf.csv", {"lineterminator": "\r\n"}, {}, ",", "."),
    (
        "windows1252_semicolon.csv",
        {"sep": ";", "decimal": ",", "encoding": "cp1252", "lineterminator": "\r\n"},
        {"data.encoding": "windows-1252"},
        ";",
        ",",
    ),
    ("latin1.csv", {"encoding": "latin-1"}, {"data.encoding": "latin-1"}, ",", "."),
    ("utf16_tab.csv", {"sep": "\t", "encoding": "utf-16"}, {}, "tab", "."),
]


def table(source):
    df = pd.read_csv(source)
    df = df.rename(
        columns={
            "species": "Especie",
            "island": "Isla",
            "bill_length_mm": "Longitud del pico (mm)",
            "sex": "Sexo",
            "year": "Año",
        }
    )
    df["Sexo"] = df["Sexo"].map({"male": "señor", "female": "señora"})
    df["Especie"] = df["Especie"].replace({"Adelie": "Adélie"})
    df["Observación"] = [NOTES[i % len(NOTES)] for i in range(len(df))]
    return df


def main():
    source, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    df = table(source)
    manifest = []
    for name, options, keys, delimiter, decimal in VARIANTS:
        df.to_csv(os.path.join(out, name), index=False, **options)
        manifest.append({"file": name, "set": keys, "delimiter": delimiter, "decimal": decimal})
    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
