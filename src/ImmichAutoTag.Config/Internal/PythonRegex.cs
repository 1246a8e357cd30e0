using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ImmichAutoTag.Config.Internal;

/// <summary>
/// Upstream patterns are Python <c>re</c> syntax, matched on code points. .NET matches UTF-16 code units, so a
/// class of emoji such as <c>[🎄🎅]</c> would match any character sharing a surrogate, and several constructs
/// are spelled differently. This translator parses the Python pattern and writes a .NET pattern that matches
/// the same names: every character outside the Basic Multilingual Plane becomes one surrogate pair, <c>.</c>
/// and classes consume whole code points, <c>\w \s \b</c> get Python's definitions, and Python-only syntax
/// (<c>(?P&lt;name&gt;…)</c>, <c>(?P=name)</c>, <c>\Z</c>, <c>\U0001F384</c>, <c>{,n}</c>, possessive
/// quantifiers, global and scoped flags including verbose mode and <c>(?a)</c>) is rewritten. What Python
/// rejects is rejected with Python's message; the few Python features with no faithful translation
/// (<c>\N{name}</c>, <c>(?a)</c> together with <c>(?i)</c>) are rejected with a message saying so.
/// Known limit: <c>\w</c>, <c>\d</c> and case-insensitive matching treat characters outside the Basic
/// Multilingual Plane as non-word, non-digit and caseless; variable-width look-behinds, which Python refuses,
/// are accepted.
/// </summary>
internal static class PythonRegex
{
    /// <summary>Bounds catastrophic backtracking in user-written patterns.</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    private const string Pair = @"[\uD800-\uDBFF][\uDC00-\uDFFF]";
    private const string WordBmp = @"\p{L}\p{N}_";
    private const string WordAscii = "a-zA-Z0-9_";
    private const string SpaceBmp = @"\s\x1C-\x1F";
    private const string SpaceAscii = @" \t\n\r\f\v";
    private const string DigitBmp = @"\p{Nd}";
    private const string DigitAscii = "0-9";

    /// <summary>Translates a Python pattern; on a pattern Python (or this translator) refuses, returns null and the reason.</summary>
    public static string? Translate(string pattern, out string? error)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        try
        {
            error = null;
            return new Translator(pattern).Run();
        }
        catch (PatternException e)
        {
            error = e.Message;
            return null;
        }
    }

    /// <summary>Compiles a translated pattern; returns the error text when .NET refuses it.</summary>
    public static string? Validate(string dotNetPattern, RegexOptions options)
    {
        try
        {
            _ = new Regex(dotNetPattern, options, MatchTimeout);
            return null;
        }
        catch (ArgumentException ex)
        {
            return ex.Message;
        }
    }

    private sealed class PatternException(string message) : Exception(message);

    private sealed class Translator(string p)
    {
        private readonly StringBuilder _out = new();
        private readonly Stack<(bool Verbose, bool Ascii, int PatternStart, int OutStart, int Number)> _groups = new();

        // Python numbers every capturing group left to right, named or not; .NET numbers named groups last.
        // Named groups therefore become numbered ones and references to them use the number.
        private readonly Dictionary<string, int> _names = new(StringComparer.Ordinal);
        private readonly HashSet<int> _closed = [];
        private int _groupCount;
        private int _i;
        private bool _verbose;
        private bool _ascii;
        private bool _ignoreCase;

        // Where the last repeatable item starts in _out; -1 after an anchor, a '|', '(' or the start.
        private int _atom = -1;
        private bool _lastWasQuantifier;

        public string Run()
        {
            ReadGlobalFlags();
            if (_ascii && _ignoreCase)
            {
                throw new PatternException("the ASCII flag (?a) together with (?i) is not supported: remove (?a)");
            }

            while (_i < p.Length)
            {
                Step();
            }

            if (_groups.Count > 0)
            {
                throw Error("missing ), unterminated subpattern", _groups.Peek().PatternStart);
            }

            return _out.ToString();
        }

        private PatternException Error(string message, int? at = null) =>
            new(string.Create(CultureInfo.InvariantCulture, $"{message} at position {at ?? _i}"));

        /// <summary>Python accepts global flags only at the very start (several groups of them in a row).</summary>
        private void ReadGlobalFlags()
        {
            var flags = new StringBuilder();
            while (_i + 2 < p.Length && p[_i] == '(' && p[_i + 1] == '?' && IsFlagLetter(p[_i + 2]))
            {
                var j = _i + 2;
                while (j < p.Length && IsFlagLetter(p[j]))
                {
                    j++;
                }

                if (j >= p.Length || p[j] != ')')
                {
                    break; // a scoped group such as (?i:...), handled by Step
                }

                foreach (var c in p[(_i + 2)..j])
                {
                    ApplyFlag(c, flags, j);
                }

                _i = j + 1;
            }

            if (flags.Length > 0)
            {
                _out.Append("(?").Append(flags).Append(')');
            }
        }

        private void ApplyFlag(char c, StringBuilder dotNetFlags, int at)
        {
            switch (c)
            {
                case 'i':
                    _ignoreCase = true;
                    AppendOnce(dotNetFlags, c);
                    break;
                case 'm' or 's':
                    AppendOnce(dotNetFlags, c);
                    break;
                case 'x':
                    _verbose = true;
                    break;
                case 'a':
                    _ascii = true;
                    break;
                case 'u':
                    break;
                case 'L':
                    throw Error("bad inline flags: cannot use 'L' flag with a str pattern", at);
                default:
                    throw Error("unknown flag", at);
            }
        }

        private static void AppendOnce(StringBuilder sb, char c)
        {
            if (sb.ToString().IndexOf(c, StringComparison.Ordinal) < 0)
            {
                sb.Append(c);
            }
        }

        private static bool IsFlagLetter(char c) => c is 'a' or 'i' or 'L' or 'm' or 's' or 'u' or 'x';

        private void Step()
        {
            var c = p[_i];
            if (_verbose && (c is ' ' or '\t' or '\n' or '\r' or '\v' or '\f'))
            {
                _i++;
                return;
            }

            if (_verbose && c == '#')
            {
                while (_i < p.Length && p[_i] != '\n')
                {
                    _i++;
                }

                return;
            }

            switch (c)
            {
                case '(':
                    OpenGroup();
                    return;
                case ')':
                    CloseGroup();
                    return;
                case '|':
                    _i++;
                    _out.Append('|');
                    NoAtom();
                    return;
                case '^' or '$':
                    _i++;
                    _out.Append(c);
                    NoAtom();
                    return;
                case '*' or '+' or '?':
                    Quantifier(c.ToString(), _i + 1);
                    return;
                case '{' when TryReadBraces(out var quantifier, out var end):
                    Quantifier(quantifier, end);
                    return;
                case '{' or '}':
                    _i++;
                    Atom(() => _out.Append('\\').Append(c));
                    return;
                case '.':
                    _i++;
                    Atom(() => _out.Append("(?:").Append(Pair).Append(@"|(?![\uD800-\uDFFF]).)"));
                    return;
                case '[':
                    Atom(ReadClass);
                    return;
                case '\\':
                    Escape();
                    return;
                default:
                    var rune = ReadRune();
                    Atom(() => Literal(rune));
                    return;
            }
        }

        private void NoAtom()
        {
            _atom = -1;
            _lastWasQuantifier = false;
        }

        private void Atom(Action write)
        {
            _atom = _out.Length;
            _lastWasQuantifier = false;
            write();
        }

        private Rune ReadRune()
        {
            if (Rune.DecodeFromUtf16(p.AsSpan(_i), out var rune, out var used) != System.Buffers.OperationStatus.Done)
            {
                throw Error("the pattern holds an unpaired surrogate");
            }

            _i += used;
            return rune;
        }

        private void Literal(Rune rune) => _out.Append(LiteralText(rune));

        private static string LiteralText(Rune rune)
        {
            if (rune.IsBmp)
            {
                var c = (char)rune.Value;
                return char.IsAsciiLetterOrDigit(c) || c == '_' || c > 0x7F && !char.IsWhiteSpace(c) && !char.IsSurrogate(c)
                    ? c.ToString()
                    : string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            }

            Span<char> units = stackalloc char[2];
            rune.EncodeToUtf16(units);
            return string.Create(CultureInfo.InvariantCulture, $"(?:\\u{(int)units[0]:X4}\\u{(int)units[1]:X4})");
        }

        private void Quantifier(string quantifier, int end)
        {
            if (_lastWasQuantifier)
            {
                throw Error("multiple repeat");
            }

            if (_atom < 0)
            {
                throw Error("nothing to repeat");
            }

            _i = end;
            if (_i < p.Length && p[_i] == '?')
            {
                _i++;
                _out.Append(quantifier).Append('?');
            }
            else if (_i < p.Length && p[_i] == '+')
            {
                // Python 3.11's possessive quantifier is an atomic group around the repeat; .NET has only the group.
                _i++;
                _out.Insert(_atom, "(?>").Append(quantifier).Append(')');
            }
            else
            {
                _out.Append(quantifier);
            }

            _lastWasQuantifier = true;
        }

        /// <summary>{m}, {m,}, {,n}, {m,n}, {,}; anything else is a literal brace, as in Python.</summary>
        private bool TryReadBraces(out string quantifier, out int end)
        {
            quantifier = string.Empty;
            end = _i;
            var close = p.IndexOf('}', _i + 1);
            if (close < 0)
            {
                return false;
            }

            var body = p[(_i + 1)..close];
            var comma = body.IndexOf(',', StringComparison.Ordinal);
            var lo = comma < 0 ? body : body[..comma];
            var hi = comma < 0 ? body : body[(comma + 1)..];
            if (!lo.All(char.IsAsciiDigit) || !hi.All(char.IsAsciiDigit) || (comma < 0 && lo.Length == 0))
            {
                return false;
            }

            if (lo.Length > 0 && hi.Length > 0 && comma >= 0 && ulong.Parse(lo, CultureInfo.InvariantCulture) > ulong.Parse(hi, CultureInfo.InvariantCulture))
            {
                throw Error("min repeat greater than max repeat", _i + 1);
            }

            quantifier = comma < 0
                ? $"{{{lo}}}"
                : $"{{{(lo.Length == 0 ? "0" : lo)},{hi}}}";
            end = close + 1;
            return true;
        }

        private void OpenGroup()
        {
            var start = _i;
            var (verbose, ascii) = (_verbose, _ascii);
            var outStart = _out.Length;
            var number = 0;
            if (At("(?P<"))
            {
                var close = p.IndexOf('>', _i + 4);
                if (close < 0)
                {
                    throw Error("missing >, unterminated name", _i + 4);
                }

                var name = p[(_i + 4)..close];
                CheckGroupName(name, _i + 4);
                if (_names.ContainsKey(name))
                {
                    throw Error($"redefinition of group name '{name}'", _i + 4);
                }

                number = ++_groupCount;
                _names[name] = number;
                _out.Append('(');
                _i = close + 1;
            }
            else if (At("(?P="))
            {
                var close = p.IndexOf(')', _i + 4);
                if (close < 0)
                {
                    throw Error("missing ), unterminated name", _i + 4);
                }

                var name = p[(_i + 4)..close];
                CheckGroupName(name, _i + 4);
                if (!_names.TryGetValue(name, out var referenced))
                {
                    throw Error($"unknown group name '{name}'", _i + 4);
                }

                CheckReference(referenced, _i + 4);
                _i = close + 1;
                Atom(() => _out.Append(CultureInfo.InvariantCulture, $"(?:\\{referenced})"));
                return;
            }
            else if (At("(?#"))
            {
                var close = p.IndexOf(')', _i);
                if (close < 0)
                {
                    throw Error("missing ), unterminated comment");
                }

                _i = close + 1;
                return;
            }
            else if (At("(?:") || At("(?=") || At("(?!") || At("(?<=") || At("(?<!") || At("(?>"))
            {
                var length = At("(?<") ? 4 : 3;
                _out.Append(p, _i, length);
                _i += length;
            }
            else if (At("(?("))
            {
                var close = p.IndexOf(')', _i + 3);
                if (close < 0)
                {
                    throw Error("missing ), unterminated name", _i + 3);
                }

                var reference = p[(_i + 3)..close];
                int referenced;
                if (reference.Length > 0 && reference.All(char.IsAsciiDigit))
                {
                    referenced = int.Parse(reference, CultureInfo.InvariantCulture);
                    if (referenced == 0 || referenced > _groupCount)
                    {
                        throw Error($"invalid group reference {reference}", _i + 3);
                    }
                }
                else
                {
                    CheckGroupName(reference, _i + 3);
                    if (!_names.TryGetValue(reference, out referenced))
                    {
                        throw Error($"unknown group name '{reference}'", _i + 3);
                    }
                }

                _out.Append(CultureInfo.InvariantCulture, $"(?({referenced})");
                _i = close + 1;
            }
            else if (At("(?"))
            {
                ScopedFlags();
            }
            else
            {
                number = ++_groupCount;
                _out.Append('(');
                _i++;
            }

            _groups.Push((verbose, ascii, start, outStart, number));
            NoAtom();
        }

        private void CheckReference(int number, int at)
        {
            if (number > _groupCount || number == 0)
            {
                throw Error(string.Create(CultureInfo.InvariantCulture, $"invalid group reference {number}"), at);
            }

            if (!_closed.Contains(number))
            {
                throw Error("cannot refer to an open group", at);
            }
        }

        /// <summary>(?flags-flags:...) or a misplaced global flag group, which Python 3.11 refuses.</summary>
        private void ScopedFlags()
        {
            var j = _i + 2;
            var on = new StringBuilder();
            var off = new StringBuilder();
            var target = on;
            while (j < p.Length && (IsFlagLetter(p[j]) || p[j] == '-'))
            {
                if (p[j] == '-')
                {
                    target = off;
                }
                else
                {
                    target.Append(p[j]);
                }

                j++;
            }

            if (j >= p.Length)
            {
                throw Error("missing -, : or )", j);
            }

            if (p[j] == ')' && off.Length == 0 && on.Length > 0)
            {
                throw Error("global flags not at the start of the expression", _i + 2);
            }

            if (on.Length == 0 && off.Length == 0)
            {
                throw Error($"unknown extension ?{p[j]}", _i + 1);
            }

            if (p[j] != ':')
            {
                throw Error(off.Length > 0 ? "missing :" : "missing -, : or )", j);
            }

            var dotNetOn = new StringBuilder();
            foreach (var c in on.ToString())
            {
                if (off.ToString().Contains(c, StringComparison.Ordinal))
                {
                    throw Error("bad inline flags: flag turned on and off", j);
                }

                if (c == 'i' && _ascii)
                {
                    throw new PatternException("the ASCII flag (?a) together with (?i) is not supported: remove (?a)");
                }

                ApplyFlag(c, dotNetOn, j);
            }

            var dotNetOff = new StringBuilder();
            foreach (var c in off.ToString())
            {
                switch (c)
                {
                    case 'i' or 'm' or 's':
                        AppendOnce(dotNetOff, c);
                        break;
                    case 'x':
                        _verbose = false;
                        break;
                    default:
                        throw Error("bad inline flags: cannot turn off flags 'a', 'u' and 'L'", j);
                }
            }

            _out.Append("(?").Append(dotNetOn);
            if (dotNetOff.Length > 0)
            {
                _out.Append('-').Append(dotNetOff);
            }

            _out.Append(':');
            _i = j + 1;
        }

        private void CheckGroupName(string name, int at)
        {
            if (name.Length == 0)
            {
                throw Error("missing group name", at);
            }

            if (!(char.IsLetter(name[0]) || name[0] == '_') || !name.All(c => char.IsLetterOrDigit(c) || c == '_'))
            {
                throw Error($"bad character in group name '{name}'", at);
            }
        }

        private void CloseGroup()
        {
            if (_groups.Count == 0)
            {
                throw Error("unbalanced parenthesis");
            }

            var (verbose, ascii, _, start, number) = _groups.Pop();
            _verbose = verbose;
            _ascii = ascii;
            _closed.Add(number);
            _i++;
            _out.Append(')');
            _atom = start;
            _lastWasQuantifier = false;
        }

        private bool At(string s) => string.CompareOrdinal(p, _i, s, 0, s.Length) == 0;

        private void Escape()
        {
            if (_i + 1 >= p.Length)
            {
                throw Error("bad escape (end of pattern)");
            }

            var c = p[_i + 1];
            switch (c)
            {
                case 'A':
                    _i += 2;
                    _out.Append(@"\A");
                    NoAtom();
                    return;
                case 'Z':
                    _i += 2;
                    _out.Append(@"\z");
                    NoAtom();
                    return;
                case 'b' or 'B':
                    _i += 2;
                    var word = _ascii ? WordAscii : WordBmp;
                    _out.Append(c == 'b'
                        ? $"(?:(?<=[{word}])(?![{word}])|(?<![{word}])(?=[{word}]))"
                        : $"(?:(?<=[{word}])(?=[{word}])|(?<![{word}])(?![{word}]))");
                    NoAtom();
                    return;
                case 'd' or 'D' or 'w' or 'W' or 's' or 'S':
                    _i += 2;
                    Atom(() => _out.Append(ShorthandOutsideClass(c)));
                    return;
                case >= '0' and <= '9':
                    EscapeDigits();
                    return;
                default:
                    var start = _i;
                    _i++;
                    var rune = ClassOrLiteralEscape(start, inClass: false);
                    Atom(() => Literal(rune));
                    return;
            }
        }

        private string ShorthandOutsideClass(char c) => c switch
        {
            'd' => $"[{Digit}]",
            'w' => $"[{Word}]",
            's' => $"[{Space}]",

            // Negations cover every code point outside the BMP (none is a word, digit or space character here).
            'D' => $"(?:{Pair}|[^{Digit}\\uD800-\\uDFFF])",
            'W' => $"(?:{Pair}|[^{Word}\\uD800-\\uDFFF])",
            _ => $"(?:{Pair}|[^{Space}\\uD800-\\uDFFF])",
        };

        private string Digit => _ascii ? DigitAscii : DigitBmp;

        private string Word => _ascii ? WordAscii : WordBmp;

        private string Space => _ascii ? SpaceAscii : SpaceBmp;

        /// <summary>\0, \0oo and \ooo are octal; \1..\99 are back references (Python's rules).</summary>
        private void EscapeDigits()
        {
            var start = _i;
            var j = _i + 1;
            if (p[j] == '0')
            {
                var k = j + 1;
                while (k < p.Length && k < j + 3 && p[k] is >= '0' and <= '7')
                {
                    k++;
                }

                var value = Convert.ToInt32(p[j..k], 8);
                _i = k;
                Atom(() => Literal(new Rune(value)));
                return;
            }

            if (j + 2 < p.Length && p[j] is >= '0' and <= '7' && p[j + 1] is >= '0' and <= '7' && p[j + 2] is >= '0' and <= '7')
            {
                var value = Convert.ToInt32(p[j..(j + 3)], 8);
                if (value > 255)
                {
                    throw Error($"octal escape value \\{p[j..(j + 3)]} outside of range 0-0o377", start);
                }

                _i = j + 3;
                Atom(() => Literal(new Rune(value)));
                return;
            }

            var end = j + 1;
            if (end < p.Length && char.IsAsciiDigit(p[end]))
            {
                end++;
            }

            var number = int.Parse(p.AsSpan(j, end - j), CultureInfo.InvariantCulture);
            CheckReference(number, j);
            _i = end;
            Atom(() => _out.Append(CultureInfo.InvariantCulture, $"(?:\\{number})"));
        }

        /// <summary>An escape that stands for one character, inside or outside a class. <c>_i</c> is on the escaped character.</summary>
        private Rune ClassOrLiteralEscape(int start, bool inClass)
        {
            var c = p[_i];
            switch (c)
            {
                case 'a': _i++; return new Rune('\a');
                case 'f': _i++; return new Rune('\f');
                case 'n': _i++; return new Rune('\n');
                case 'r': _i++; return new Rune('\r');
                case 't': _i++; return new Rune('\t');
                case 'v': _i++; return new Rune('\v');
                case 'b' when inClass: _i++; return new Rune('\b');
                case 'x': return Hex(start, 2);
                case 'u': return Hex(start, 4);
                case 'U': return Hex(start, 8);
                case 'N':
                    throw Error("\\N{name} escapes are not supported: write the character itself", start);
                default:
                    if (char.IsAsciiLetter(c) || (inClass && char.IsAsciiDigit(c)))
                    {
                        throw Error($"bad escape \\{c}", start);
                    }

                    return ReadRune();
            }
        }

        private Rune Hex(int start, int digits)
        {
            var from = _i + 1;
            if (from + digits > p.Length || !p.AsSpan(from, digits).ToString().All(char.IsAsciiHexDigit))
            {
                throw Error($"incomplete escape \\{p[_i]}{p[from..Math.Min(p.Length, from + digits)]}", start);
            }

            var value = int.Parse(p.AsSpan(from, digits), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (!Rune.IsValid(value))
            {
                throw Error($"bad escape \\{p[_i]}{p.AsSpan(from, digits)}", start);
            }

            _i = from + digits;
            return new Rune(value);
        }

        /// <summary>
        /// A class becomes an alternation that consumes one whole code point: BMP members as a .NET class, members
        /// outside the BMP as surrogate pairs, and a negated class as "no member here, then any code point".
        /// </summary>
        private void ReadClass()
        {
            var start = _i;
            _i++;
            var negated = _i < p.Length && p[_i] == '^';
            if (negated)
            {
                _i++;
            }

            var bmp = new StringBuilder();
            var astral = new List<(int Lo, int Hi)>();
            var parts = new List<string>();
            var first = true;
            while (true)
            {
                if (_i >= p.Length)
                {
                    throw Error("unterminated character set", start);
                }

                if (p[_i] == ']' && !first)
                {
                    _i++;
                    break;
                }

                first = false;
                var itemStart = _i;
                Rune lo;
                if (p[_i] == '\\' && _i + 1 < p.Length && p[_i + 1] is 'd' or 'D' or 'w' or 'W' or 's' or 'S')
                {
                    var k = p[_i + 1];
                    _i += 2;
                    switch (k)
                    {
                        case 'd': bmp.Append(Digit); break;
                        case 'w': bmp.Append(Word); break;
                        case 's': bmp.Append(Space); break;
                        default: parts.Add(ShorthandOutsideClass(k)); break;
                    }

                    continue;
                }

                lo = ClassItem();
                if (_i + 1 < p.Length && p[_i] == '-' && p[_i + 1] != ']')
                {
                    _i++;
                    if (p[_i] == '\\' && _i + 1 < p.Length && p[_i + 1] is 'd' or 'D' or 'w' or 'W' or 's' or 'S')
                    {
                        throw Error($"bad character range {p[itemStart.._i]}\\{p[_i + 1]}", itemStart);
                    }

                    var hi = ClassItem();
                    if (hi.Value < lo.Value)
                    {
                        throw Error($"bad character range {p[itemStart.._i]}", itemStart);
                    }

                    AddRange(lo.Value, hi.Value, bmp, astral);
                }
                else
                {
                    AddRange(lo.Value, lo.Value, bmp, astral);
                }
            }

            if (bmp.Length > 0)
            {
                parts.Insert(0, $"[{bmp}]");
            }

            foreach (var (l, h) in astral)
            {
                parts.Add(SurrogateRange(l, h));
            }

            var positive = parts.Count switch
            {
                0 => "(?!)",
                1 => parts[0],
                _ => "(?:" + string.Join('|', parts) + ")",
            };

            _out.Append(negated ? $"(?:(?!{positive})(?:{Pair}|[^\\uD800-\\uDFFF]))" : positive);
        }

        private Rune ClassItem()
        {
            if (p[_i] != '\\')
            {
                return ReadRune();
            }

            var start = _i;
            if (_i + 1 >= p.Length)
            {
                throw Error("bad escape (end of pattern)");
            }

            _i++;
            if (p[_i] is >= '0' and <= '7')
            {
                var k = _i;
                while (k < p.Length && k < _i + 3 && p[k] is >= '0' and <= '7')
                {
                    k++;
                }

                var value = Convert.ToInt32(p[_i..k], 8);
                if (value > 255)
                {
                    throw Error($"octal escape value \\{p[_i..k]} outside of range 0-0o377", start);
                }

                _i = k;
                return new Rune(value);
            }

            return ClassOrLiteralEscape(start, inClass: true);
        }

        private static void AddRange(int lo, int hi, StringBuilder bmp, List<(int, int)> astral)
        {
            if (lo <= 0xFFFF)
            {
                var top = Math.Min(hi, 0xFFFF);
                bmp.Append(CultureInfo.InvariantCulture, $"\\u{lo:X4}");
                if (top > lo)
                {
                    bmp.Append(CultureInfo.InvariantCulture, $"-\\u{top:X4}");
                }
            }

            if (hi > 0xFFFF)
            {
                astral.Add((Math.Max(lo, 0x10000), hi));
            }
        }

        /// <summary>A range of code points above U+FFFF as alternatives over their surrogate pairs.</summary>
        private static string SurrogateRange(int lo, int hi)
        {
            var alternatives = new List<string>();
            var l = lo;
            while (l <= hi)
            {
                var highOfL = 0xD800 + ((l - 0x10000) >> 10);
                var endOfBlock = 0x10000 + ((highOfL - 0xD800 + 1) << 10) - 1;
                var h = Math.Min(hi, endOfBlock);
                var lowL = 0xDC00 + ((l - 0x10000) & 0x3FF);
                var lowH = 0xDC00 + ((h - 0x10000) & 0x3FF);
                if (lowL == 0xDC00 && lowH == 0xDFFF && h < hi)
                {
                    // Whole blocks in a row share one class of high surrogates.
                    var lastFull = hi == 0x10FFFF || ((hi - 0x10000) & 0x3FF) == 0x3FF ? hi : 0x10000 + (((hi - 0x10000) >> 10) << 10) - 1;
                    var highLast = 0xD800 + ((lastFull - 0x10000) >> 10);
                    alternatives.Add(string.Create(CultureInfo.InvariantCulture, $"[\\u{highOfL:X4}-\\u{highLast:X4}][\\uDC00-\\uDFFF]"));
                    l = lastFull + 1;
                    continue;
                }

                alternatives.Add(lowL == lowH
                    ? string.Create(CultureInfo.InvariantCulture, $"\\u{highOfL:X4}\\u{lowL:X4}")
                    : string.Create(CultureInfo.InvariantCulture, $"\\u{highOfL:X4}[\\u{lowL:X4}-\\u{lowH:X4}]"));
                l = h + 1;
            }

            return "(?:" + string.Join('|', alternatives) + ")";
        }
    }
}
