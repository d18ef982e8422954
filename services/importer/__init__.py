"""`jatkumo import`: the register exports of sources that only make spreadsheets (attendance
lists, contract registers) turned into SPEC.md events, each through the same door as replay.

    table.py    reading a CSV export: `;` or `,`, UTF-8 (with or without BOM) or Windows-1252
    values.py   cells: Finnish or ISO dates, yes/no words, whole numbers
    mapping.py  which column holds which field (a TOML file), and the contract map
    build.py    one row -> its events, with ids derived from the row
    run.py      a whole file -> JSONL of events and a list of bad rows with line numbers
"""
