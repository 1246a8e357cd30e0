#!/usr/bin/env python3
"""Writes python-regex-table.jsonl: what Python's re.match says for each album name pattern x name.

The rows are the expectations of PythonRegexTableTests; the values come from Python itself, so the table
is regenerated (not edited by hand) when a case is added:  python3 generate_python_regex_table.py
"""
import json
import pathlib
import re
import sys
import warnings

warnings.simplefilter("ignore")  # FutureWarning for '[[' and friends: Python still compiles them

CASES = [
    # Classes of characters outside the Basic Multilingual Plane (U+1F384 and U+1F334 share a surrogate).
    ("^[🎄🎅]", ["🎄 Xmas 2019", "🎅 Santa", "🌴 Beach 2019", "🎃 Halloween", "Xmas"]),
    ("^[🎄🎅]{2}\\Z", ["🎄🎅", "🎄🌴", "🎄"]),
    ("^[^🎄]", ["🌴 Beach", "🎄 Xmas", "a"]),
    ("^[^a🎄]+\\Z", ["🌴b", "🌴🎄", "bcd"]),
    ("^[a🎄]+\\Z", ["a🎄a", "a🌴"]),
    ("^[😀-🙏]", ["😃 smile", "🌴 palm", "🚀 rocket"]),
    ("^[\\U0001F300-\\U0001F5FF]", ["🌴", "😀", "🗿"]),
    ("^\\U0001F384", ["🎄 tree", "🌴 palm"]),
    ("^🎄+\\Z", ["🎄🎄", "🎄🌴"]),
    ("^🎄?🎅", ["🎅", "🎄🎅", "🌴🎅"]),
    ("^.\\Z", ["🌴", "ab", "é"]),
    ("^..\\Z", ["🌴", "ab"]),
    ("^a.c", ["a🎄c", "abc", "a\nc"]),
    ("^a..c", ["a🎄c", "abbc"]),
    ("^a.{2}c", ["a🎄🎅c", "a🎄c"]),
    ("(?s)^a.c", ["a\nc"]),
    ("^\\W\\Z", ["🌴", "a", " "]),
    ("^[\\W]\\Z", ["🌴", "a"]),
    ("^[^\\W]", ["🌴", "a"]),
    ("^\\D\\Z", ["🌴", "7"]),
    ("^\\S\\Z", ["🌴", " "]),
    # Python-only syntax.
    ("(?P<y>\\d{4})-(?P=y)\\Z", ["2020-2020", "2020-2021", "2020-2020\n"]),
    ("^(a)(?P<n>b)\\2", ["abb", "aba"]),
    ("^(?P<n>a)(b)\\2", ["abb", "aba"]),
    ("^(a)?(?(1)b|c)", ["ab", "c", "ac"]),
    ("^(?P<x>a)?(?(x)b|c)", ["ab", "c"]),
    ("^abc\\Z", ["abc", "abc\n"]),
    ("^abc$", ["abc", "abc\n", "abcd"]),
    ("\\Aabc", ["abc", "xabc"]),
    ("a{,3}b", ["aab", "aaaab", "b"]),
    ("^x{2}", ["xxy", "xy"]),
    ("^x{", ["x{", "x"]),
    ("^x{1,a}", ["x{1,a}", "x"]),
    ("^\\{", ["{a", "a"]),
    ("^(a|b)*+c", ["abac", "abab"]),
    ("^a*+a", ["aaa"]),
    ("^(?>a*)a", ["aaa"]),
    ("^(?i:ABC)d", ["abcd", "abcD"]),
    ("(?i)^abc", ["ABC", "abd"]),
    ("(?i)^émile", ["ÉMILE", "emile"]),
    ("(?i)^straße", ["STRASSE", "Straße"]),
    ("(?i)^[a-c]+\\Z", ["ABC", "ABD"]),
    ("(?x) ^ 20 \\d{2}  # year", ["2019 Trip", "20 19"]),
    ("(?x)^[ ]a", [" a", "a"]),
    ("(?x)^a\\ b", ["a b", "ab"]),
    ("^(?#comment)abc", ["abc"]),
    ("(?m)a$", ["a\nb", "ab"]),
    ("(?u)^\\w", ["é"]),
    # Unicode classes: \d is Unicode decimal digits, \w letters and numbers and _, \s includes \x1c-\x1f.
    ("^\\d{4}", ["٢٠١٩ Arabic digits", "২০১৯ Bengali digits", "²⁰¹⁹ superscripts", "2019"]),
    ("(?a)^\\d{4}", ["٢٠١٩", "2019"]),
    ("(?a)^\\w+\\Z", ["abc_1", "Ünï"]),
    ("^\\w+\\Z", ["Ünïcödé", "a-b", "²", "Ⅻ", "e\u0301", "a\u203fb"]),
    ("^\\s\\Z", ["\x1c", "\u00a0", "\u200b", "\x85", "\u3000"]),
    ("^.*\\bcat\\b", ["a cat.", "concat", "café cat", "caté"]),
    ("^\\Bat", ["at"]),
    ("^c\\Bat", ["cat"]),
    # Classes with '[', ']' and '-' as members.
    ("^[]a]", ["]x", "a", "b"]),
    ("^[^]a]", ["b", "]"]),
    ("^[a-]", ["-", "b"]),
    ("^[\\w-]+\\Z", ["a-b_c", "a b"]),
    ("^[[]", ["[x", "x"]),
    ("^[a-z-[aeiou]]", ["b]", "e]", "b"]),
    # Escapes.
    ("^\\x41", ["A", "B"]),
    ("^\\101", ["A", "B"]),
    ("^\\0", ["\x00", "0"]),
    ("^[\\101-\\103]+\\Z", ["ABC", "ABD"]),
    ("^\\u00e9", ["é", "e"]),
    ("^[\\b]", ["\b"]),
    ("^\\.\\d", [".5", "15"]),
    # Album names as upstream configs write them.
    ("^\\d{4}-\\d{2}-\\d{2}", ["2019-07-04 Beach", "2019-07 Trip", "Beach 2019-07-04"]),
    ("^\\d{4}(-\\d{2}(-\\d{2})?)?", ["2019 Summer", "2019-07 Trip", "Summer"]),
    ("^20(1[0-9]|2[0-4])", ["2019 Trip", "2025 Trip"]),
    ("^Trip|^Holiday", ["Holiday 2019", "My Trip"]),
    ("Trip", ["Trip to Rome", "My Trip"]),
    # Errors in Python.
    ("^[🎄", ["🎄"]),
    ("(?<n>x)", ["x"]),
    ("\\p{L}", ["a"]),
    ("a**", ["a"]),
    ("a{2}*", ["aa"]),
    ("a{3,2}", ["aaa"]),
    ("a(?i)b", ["ab"]),
    ("(?L)a", ["a"]),
    ("(?-i)a", ["a"]),
    ("\\e", ["\x1b"]),
    ("\\z", ["z"]),
    ("\\k<n>", ["k"]),
    ("(?P<1a>x)", ["x"]),
    ("(?P=n)", ["n"]),
    ("\\2(a)(b)", ["ab"]),
    ("(a\\1)", ["aa"]),
    ("[z-a]", ["a"]),
    ("[\\A]", ["A"]),
    ("(abc", ["abc"]),
    ("abc)", ["abc"]),
    ("*a", ["a"]),
    ("^*", ["a"]),
    ("\\b*", ["a"]),
    ("\\x4", ["J"]),
    ("\\8", ["8"]),
]


def verdict(pattern, name):
    try:
        compiled = re.compile(pattern)
    except re.error:
        return "error"
    return "match" if compiled.match(name) else "no match"


def main():
    out = pathlib.Path(__file__).with_name("python-regex-table.jsonl")
    rows = [
        {"pattern": p, "name": n, "python": verdict(p, n)}
        for p, names in CASES
        for n in names
    ]
    with out.open("w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps({"generator": "generate_python_regex_table.py", "python": sys.version.split()[0]}) + "\n")
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} rows written to {out.name}")


if __name__ == "__main__":
    main()
