using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ComImpersonation.CodeFixes
{
    /// <summary>Keeps the user's line layout when statements move: blank lines stay where they were, comments travel with their statement.</summary>
    internal static class LineTrivia
    {
        /// <summary>The blank lines at the start of a statement's leading trivia (they stay where they are when the statement moves).</summary>
        public static SyntaxTriviaList BlankLines(SyntaxTriviaList leading) =>
            SyntaxFactory.TriviaList(leading.Take(BlankLineCount(leading)));

        public static SyntaxTriviaList WithoutBlankLines(SyntaxTriviaList leading) =>
            SyntaxFactory.TriviaList(leading.Skip(BlankLineCount(leading)));

        /// <summary>
        /// The line break that ends the last wrapped statement, to end the <c>try</c> the same way; its comment
        /// stays with the statement inside the <c>try</c>.
        /// </summary>
        public static SyntaxTriviaList EndOfLineOf(SyntaxTriviaList trailing)
        {
            foreach (SyntaxTrivia trivia in trailing)
            {
                if (trivia.IsKind(SyntaxKind.EndOfLineTrivia))
                {
                    return SyntaxFactory.TriviaList(trivia);
                }
            }

            return SyntaxFactory.TriviaList(SyntaxFactory.ElasticMarker);
        }

        public static int BlankLineCount(SyntaxTriviaList leading)
        {
            int count = 0;
            for (int i = 0; i < leading.Count; i++)
            {
                if (leading[i].IsKind(SyntaxKind.EndOfLineTrivia))
                {
                    count = i + 1;
                }
                else if (!leading[i].IsKind(SyntaxKind.WhitespaceTrivia))
                {
                    break;
                }
            }

            return count;
        }
    
        /// <summary>The whitespace before <paramref name="statement"/>'s first token on its line.</summary>
        public static string IndentationOf(SyntaxNode statement)
        {
            SyntaxToken first = statement.GetFirstToken();
            SyntaxTriviaList leading = first.LeadingTrivia;
            if (leading.Count > 0 && leading[leading.Count - 1].IsKind(SyntaxKind.WhitespaceTrivia)
                && (leading.Count == 1 ? StartsLine(first, 0) : leading[leading.Count - 2].IsKind(SyntaxKind.EndOfLineTrivia)))
            {
                return leading[leading.Count - 1].ToString();
            }

            return "";
        }

        /// <summary>
        /// One level of indentation as the code writes it: the difference between the statements of
        /// <paramref name="owner"/> (at <paramref name="statementIndent"/>) and its opening brace or label, else four spaces.
        /// </summary>
        public static string IndentationUnit(SyntaxNode owner, string statementIndent)
        {
            SyntaxToken opening = owner.GetFirstToken();
            SyntaxTriviaList leading = opening.LeadingTrivia;
            if (StartsLine(opening, 0) || (leading.Count > 0 && StartsLine(opening, leading.Count - 1)))
            {
                string outer = leading.Count > 0 && leading[leading.Count - 1].IsKind(SyntaxKind.WhitespaceTrivia) ? leading[leading.Count - 1].ToString() : "";
                if (statementIndent.Length > outer.Length && statementIndent.StartsWith(outer, System.StringComparison.Ordinal))
                {
                    return statementIndent.Substring(outer.Length);
                }
            }

            return statementIndent.Length > 0 && statementIndent[0] == '\t' ? "\t" : "    ";
        }

        /// <summary>True when <paramref name="node"/>'s first token begins a line.</summary>
        public static bool StartsLine(SyntaxNode node)
        {
            SyntaxToken first = node.GetFirstToken();
            SyntaxTriviaList leading = first.LeadingTrivia;
            for (int i = leading.Count; i > 0; i--)
            {
                if (leading[i - 1].IsKind(SyntaxKind.EndOfLineTrivia))
                {
                    return true;
                }

                if (!leading[i - 1].IsKind(SyntaxKind.WhitespaceTrivia))
                {
                    return false;
                }
            }

            return StartsLine(first, 0);
        }

        /// <summary>The line break the code uses (the first in <paramref name="node"/>'s file), else CRLF.</summary>
        public static SyntaxTrivia LineEndOf(SyntaxNode node)
        {
            foreach (SyntaxTrivia trivia in node.SyntaxTree.GetRoot().DescendantTrivia())
            {
                if (trivia.IsKind(SyntaxKind.EndOfLineTrivia))
                {
                    return trivia;
                }
            }

            return SyntaxFactory.CarriageReturnLineFeed;
        }

        /// <summary>
        /// <paramref name="node"/> with <paramref name="unit"/> more indentation on each line it starts (blank lines
        /// stay empty; what is inside tokens, such as multi-line strings, is left as it is).
        /// </summary>
        public static T Indented<T>(T node, string unit)
            where T : SyntaxNode
        {
            SyntaxToken first = node.GetFirstToken();
            return node.ReplaceTokens(node.DescendantTokens(), (original, rewritten) =>
            {
                SyntaxTriviaList leading = original.LeadingTrivia;
                var result = new System.Collections.Generic.List<SyntaxTrivia>(leading.Count + 2);
                bool lineStart = original == first || StartsLine(original, 0);
                for (int i = 0; i < leading.Count; i++)
                {
                    SyntaxTrivia trivia = leading[i];
                    if (lineStart && trivia.IsKind(SyntaxKind.WhitespaceTrivia))
                    {
                        bool blank = i + 1 < leading.Count && leading[i + 1].IsKind(SyntaxKind.EndOfLineTrivia);
                        result.Add(blank ? trivia : SyntaxFactory.Whitespace(unit + trivia.ToString()));
                    }
                    else if (lineStart && !trivia.IsKind(SyntaxKind.EndOfLineTrivia))
                    {
                        result.Add(SyntaxFactory.Whitespace(unit));
                        result.Add(trivia);
                    }
                    else
                    {
                        result.Add(trivia);
                    }

                    lineStart = trivia.IsKind(SyntaxKind.EndOfLineTrivia) || trivia.IsKind(SyntaxKind.SingleLineDocumentationCommentTrivia);
                }

                if (lineStart && (leading.Count == 0 || !leading[leading.Count - 1].IsKind(SyntaxKind.WhitespaceTrivia)))
                {
                    result.Add(SyntaxFactory.Whitespace(unit));
                }

                return rewritten.WithLeadingTrivia(result);
            });
        }

        /// <summary>True when the trivia of <paramref name="token"/> from <paramref name="index"/> on begins a line.</summary>
        private static bool StartsLine(SyntaxToken token, int index)
        {
            if (index > 0)
            {
                return token.LeadingTrivia[index - 1].IsKind(SyntaxKind.EndOfLineTrivia);
            }

            SyntaxToken previous = token.GetPreviousToken();
            return previous.RawKind == 0 || previous.TrailingTrivia.Any(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
        }
    }
}
