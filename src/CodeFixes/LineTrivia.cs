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
    }
}
