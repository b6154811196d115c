using ComImpersonation.Analyzers.Analysis;
using Microsoft.CodeAnalysis;

namespace ComImpersonation.Analyzers.Rules
{
    /// <summary>
    /// How a message names the place inside a called method of the compilation that impersonates, reverts or signals
    /// for its caller (SPEC §3): "'BeginImpersonation' (which impersonates with 'CoImpersonateClient' at line 40)".
    /// Empty for a recognised API call, which has nothing inside to name. A place in another file names the file.
    /// </summary>
    internal static class CalleeClause
    {
        /// <summary>A clause of its own after the name: <c> (which impersonates with 'X' at line N)</c>.</summary>
        public static string After(CalleePlace? inside, string verb, SyntaxNode reportedAt) =>
            inside is null ? "" : " (" + Which(inside, verb, reportedAt) + ")";

        /// <summary>A clause inside parentheses the message already has: <c>, which signals with 'X' at line N</c>.</summary>
        public static string Within(CalleePlace? inside, string verb, SyntaxNode reportedAt) =>
            inside is null ? "" : ", " + Which(inside, verb, reportedAt);

        public const string Impersonates = "impersonates";

        public const string Reverts = "reverts";

        public const string Signals = "signals";

        private static string Which(CalleePlace inside, string verb, SyntaxNode reportedAt)
        {
            string line = "line " + PathPlaces.LineOf(inside.Location);
            if (inside.Location.SourceTree is { } tree && tree != reportedAt.SyntaxTree)
            {
                string file = System.IO.Path.GetFileName(tree.FilePath);
                line += file.Length > 0 ? " of " + file : " of another file";
            }

            return "which " + verb + " with '" + inside.ApiName + "' at " + line;
        }
    }
}
