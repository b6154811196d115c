using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ComImpersonation.CodeFixes
{
    /// <summary>Names for the locals a fix declares (<c>status</c>, <c>noToken</c>).</summary>
    internal static class LocalNames
    {
        /// <summary><paramref name="preferred"/>, or it numbered, whichever no symbol in scope and no declaration in the member uses.</summary>
        public static string? Unused(string preferred, SyntaxNode at, SemanticModel model)
        {
            SyntaxNode scope = at.FirstAncestorOrSelf<MemberDeclarationSyntax>() ?? at.SyntaxTree.GetRoot();
            var used = new HashSet<string>(
                scope.DescendantTokens().Where(token => token.IsKind(SyntaxKind.IdentifierToken)).Select(token => token.ValueText));
            for (int suffix = 1; suffix < 100; suffix++)
            {
                string name = suffix == 1 ? preferred : preferred + suffix.ToString(CultureInfo.InvariantCulture);
                if (!used.Contains(name) && model.LookupSymbols(at.SpanStart, name: name).IsEmpty)
                {
                    return name;
                }
            }

            return null;
        }
    }
}
