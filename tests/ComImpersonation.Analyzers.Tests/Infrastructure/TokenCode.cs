using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Testing;

namespace ComImpersonation.Analyzers.Tests.Infrastructure
{
    /// <summary>Test code for <see cref="TokenFlavours"/>: a call object with arbitrary members, as <see cref="RuleCode"/> writes it for COM.</summary>
    internal static class TokenCode
    {
        /// <summary>A call object in <paramref name="flavour"/> with <paramref name="members"/>, <c>_flag</c>, <c>Work()</c> and <c>Log(object)</c>.</summary>
        public static string Class(Flavour flavour, string members) => $$"""
            {{flavour.Usings}}

            {{flavour.ClassModifiers}}partial class CallObject
            {
            {{flavour.Members}}
                private bool _flag;

                private void Work() { }

                private static void Log(object value) { }

            {{members}}
            }
            """;

        public static Task VerifyAsync(Flavour flavour, string members, params DiagnosticResult[] expected) =>
            Verify.AnalyzerAsync(flavour.Sources(Class(flavour, members)), expected);

        /// <summary>Impersonates with <paramref name="call"/> and returns on failure, on two lines.</summary>
        public static string Checked(Flavour flavour, string call, string indent = FixCode.Body) =>
            "var ok = " + call + ";\n" + indent + "if (" + flavour.Failed("ok") + ") return;";
    }
}
