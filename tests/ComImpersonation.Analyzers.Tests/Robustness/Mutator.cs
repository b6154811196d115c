using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace ComImpersonation.Analyzers.Tests.Robustness
{
    /// <summary>One mutated source text and how it was made (enough to make it again).</summary>
    internal sealed class Mutant
    {
        public Mutant(int index, string description, string text)
        {
            Index = index;
            Description = description;
            Text = text;
        }

        public int Index { get; }

        public string Description { get; }

        public string Text { get; }
    }

    /// <summary>
    /// Makes broken variants of a C# source text, as an editor sees code being typed and edited, at token
    /// boundaries: prefixes, and seeded random deletions, insertions, duplications and swaps of tokens. Everything
    /// is deterministic: mutant <c>i</c> of a text depends only on the text, the seed and <c>i</c>, so a failing
    /// mutant can be made again on its own.
    /// </summary>
    internal sealed class Mutator
    {
        /// <summary>Tokens that change structure the most, inserted besides tokens drawn from the text itself.</summary>
        private static readonly string[] StructuralTokens =
        {
            "{", "}", "(", ")", ";", ",", "=", ".", "?.", "=>", "!", ":", "[", "]", "<", ">", "?", "??", "&&", "||",
            "return", "return;", "goto L;", "L:", "goto case 0;", "await", "async", "finally", "finally {", "try", "try {",
            "catch", "catch {", "catch (Exception e) when (e is null)", "throw;", "throw null;", "yield return 0;", "yield break;",
            "if (true)", "else", "while (true)", "for (;;)", "do", "switch (0)", "case 0:", "default:", "break;", "continue;",
            "static", "using", "lock (this)", "new", "ref", "out", "unsafe", "fixed", "stackalloc", "delegate",
            "() =>", "async () =>", "x => x", "var", "null", "default", "this", "base", "typeof", "nameof", "checked",
            "class", "struct", "record", "partial", "void", "int", "dynamic", "void L() {", "int L() =>",
            "#if X", "#endif", "#region", "#endregion", "/*", "*/", "\"", "'", "@", "$\"", "//", "\n#line 1\n", "::", "__arglist",
        };

        private readonly string _text;
        private readonly ImmutableArray<TextSpan> _tokens;
        private readonly int _seed;

        public Mutator(string text, int seed)
        {
            _text = text;
            _seed = seed;
            _tokens = CSharpSyntaxTree.ParseText(text).GetRoot().DescendantTokens()
                .Where(t => t.Span.Length > 0 && !t.IsKind(SyntaxKind.EndOfFileToken))
                .Select(t => t.Span)
                .ToImmutableArray();
        }

        public int TokenCount => _tokens.Length;

        /// <summary>
        /// The prefixes that end after every <paramref name="stride"/>-th token (the first at token
        /// <paramref name="offset"/>), as the file looks while it is typed from the top.
        /// </summary>
        public IEnumerable<Mutant> Prefixes(int stride, int offset = 0)
        {
            for (int i = offset; i < _tokens.Length; i += stride)
            {
                yield return new Mutant(i, "prefix up to token " + i + " (" + Describe(_tokens[i]) + ")", _text.Substring(0, _tokens[i].End));
            }
        }

        /// <summary>Random mutant number <paramref name="index"/>: one to three token edits.</summary>
        public Mutant Random(int index)
        {
            var random = new Random(unchecked((_seed * 7919) + index));
            int edits = random.Next(10) switch
            {
                < 6 => 1,
                < 9 => 2,
                _ => 3,
            };

            // Edits are chosen on the original text and applied from the end, so each position stays valid.
            var chosen = new List<(int Start, int End, string Insert, string What)>();
            for (int i = 0; i < edits; i++)
            {
                chosen.Add(ChooseEdit(random));
            }

            chosen.Sort((a, b) => b.Start != a.Start ? b.Start.CompareTo(a.Start) : b.End.CompareTo(a.End));
            var text = new StringBuilder(_text);
            int limit = int.MaxValue;
            var applied = new List<string>();
            foreach ((int start, int end, string insert, string what) in chosen)
            {
                if (end > limit)
                {
                    continue; // overlaps an edit already applied further on
                }

                text.Remove(start, end - start).Insert(start, insert);
                limit = start;
                applied.Add(what);
            }

            applied.Reverse();
            return new Mutant(index, string.Join("; ", applied), text.ToString());
        }

        private (int Start, int End, string Insert, string What) ChooseEdit(Random random)
        {
            int n = _tokens.Length;
            int at = random.Next(n);
            switch (random.Next(5))
            {
                case 0:
                {
                    // Delete one to three tokens.
                    int last = Math.Min(n - 1, at + random.Next(3));
                    return (_tokens[at].Start, _tokens[last].End, "", "delete tokens " + at + ".." + last + " (" + Describe(_tokens[at]) + ")");
                }

                case 1:
                {
                    // Insert a structural token.
                    string token = StructuralTokens[random.Next(StructuralTokens.Length)];
                    return (_tokens[at].Start, _tokens[at].Start, " " + token + " ", "insert '" + Escape(token) + "' before token " + at);
                }

                case 2:
                {
                    // Insert a token of the text itself (an identifier, a keyword, a literal, punctuation).
                    TextSpan source = _tokens[random.Next(n)];
                    string token = _text.Substring(source.Start, source.Length);
                    return (_tokens[at].Start, _tokens[at].Start, " " + token + " ", "insert '" + Escape(token) + "' before token " + at);
                }

                case 3:
                {
                    // Duplicate one to twenty tokens: right after themselves, or somewhere else.
                    int last = Math.Min(n - 1, at + random.Next(20));
                    string range = _text.Substring(_tokens[at].Start, _tokens[last].End - _tokens[at].Start);
                    int to = random.Next(2) == 0 ? _tokens[last].End : _tokens[random.Next(n)].Start;
                    return (to, to, " " + range + " ", "copy tokens " + at + ".." + last + " to offset " + to);
                }

                default:
                {
                    // Swap a token with the next one.
                    if (at + 1 >= n)
                    {
                        return (_tokens[at].Start, _tokens[at].End, "", "delete token " + at);
                    }

                    TextSpan first = _tokens[at];
                    TextSpan second = _tokens[at + 1];
                    string swapped = _text.Substring(second.Start, second.Length)
                        + _text.Substring(first.End, second.Start - first.End)
                        + _text.Substring(first.Start, first.Length);
                    return (first.Start, second.End, swapped, "swap tokens " + at + " and " + (at + 1));
                }
            }
        }

        private string Describe(TextSpan token) => "'" + Escape(_text.Substring(token.Start, Math.Min(token.Length, 40))) + "' at offset " + token.Start;

        private static string Escape(string text) => text.Replace("\n", "\\n", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal);
    }
}
