"""The report CSV as an Excel workbook for the city's offices. Pure: CSV bytes in, .xlsx bytes out.

The CSV (comma-separated, the machine-readable contract of /v1/staff/reports/{date}.csv) opens as one column in Excel
on Indonesian Windows, whose list separator is ";". The workbook needs no separator at all: figures are numbers
with a number format, which Excel shows with the reader's own separators ("1.234", "12,5%" in Indonesian), codes and
dates stay text (a kecamatan code "15.71.01" must not become a date), suppressed cells keep their "<5" and "–".
It is built from the stored CSV, so it can show nothing the suppressed file does not.
"""

from __future__ import annotations

import csv
import io
import re

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_COUNT = re.compile(r"^[+-]?\d+$")
_PERCENT = re.compile(r"^(?P<whole>\d+)(?:,(?P<fraction>\d+))?%$")
_WIDTHS = (18, 22, 16, 52, 12)


def csv_to_xlsx(data: bytes, sheet: str) -> bytes:
    """One sheet with the CSV's header and rows; the last column ("nilai") typed, every other column text."""
    # Imported here: XlsxWriter costs ~150 ms to import, paid only by the request that asks for a workbook.
    import xlsxwriter

    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True, "strings_to_numbers": False})
    header = workbook.add_format({"bold": True, "bottom": 1})
    count = workbook.add_format({"num_format": "#,##0"})
    change = workbook.add_format({"num_format": "+#,##0;-#,##0;0"})
    percent = workbook.add_format({"num_format": "0.0%"})
    text = workbook.add_format({"align": "right"})
    worksheet = workbook.add_worksheet(sheet[:31])
    for column, width in enumerate(_WIDTHS):
        worksheet.set_column(column, column, width)
    for row, values in enumerate(rows):
        for column, value in enumerate(values):
            if row == 0:
                worksheet.write_string(row, column, value, header)
            elif column < len(values) - 1 or not value:
                worksheet.write_string(row, column, value)
            elif _COUNT.match(value):
                worksheet.write_number(row, column, int(value), change if value[0] in "+-" else count)
            elif found := _PERCENT.match(value):
                number = float(f"{found['whole']}.{found['fraction'] or 0}") / 100
                worksheet.write_number(row, column, number, percent)
            else:
                worksheet.write_string(row, column, value, text)  # "<5", "–", a date
    if rows:
        worksheet.freeze_panes(1, 0)
        worksheet.autofilter(0, 0, len(rows) - 1, len(rows[0]) - 1)
    workbook.close()
    return output.getvalue()
