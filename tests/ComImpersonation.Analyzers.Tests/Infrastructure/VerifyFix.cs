using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;

namespace ComImpersonation.Analyzers.Tests.Infrastructure
{
    /// <summary>
    /// Runs a code fix over test sources written with diagnostic markup and compares the result with the expected
    /// source (which may carry markup for the diagnostics that must remain). The testing library also applies the
    /// fix one diagnostic at a time and through Fix All in document, project and solution scope, and requires the
    /// same result every way; the fixed code must compile and have exactly the diagnostics marked in it.
    /// </summary>
    internal static class VerifyFix
    {
        public static async Task RunAsync<TFix>(string[] declarations, string source, string fixedSource)
            where TFix : CodeFixProvider, new()
        {
            // What ran impersonated before the fix still runs impersonated after it (SPEC §4).
            await StillImpersonated.VerifyAsync(declarations, source, fixedSource);
            var test = new FixTest<TFix>();
            foreach (string declaration in declarations)
            {
                test.TestState.Sources.Add(declaration);
                test.FixedState.Sources.Add(declaration);
            }

            test.TestState.Sources.Add(source);
            test.FixedState.Sources.Add(fixedSource);
            await test.RunAsync(CancellationToken.None);
        }

        /// <summary>The fix must not be offered: the source stays as it is, diagnostics included.</summary>
        public static Task NotOfferedAsync<TFix>(string[] declarations, string source)
            where TFix : CodeFixProvider, new() =>
            RunAsync<TFix>(declarations, source, source);

        /// <summary>The flavour's declarations and a call object with <paramref name="members"/>, fixed to <paramref name="fixedMembers"/>.</summary>
        public static Task RunAsync<TFix>(Flavour flavour, string members, string fixedMembers)
            where TFix : CodeFixProvider, new() =>
            RunAsync<TFix>(flavour.Declarations, RuleCode.Class(flavour, members), RuleCode.Class(flavour, fixedMembers));

        internal sealed class FixTest<TFix> : CSharpCodeFixTest<ImpersonationAnalyzer, TFix, DefaultVerifier>
            where TFix : CodeFixProvider, new()
        {
            public FixTest()
            {
                TestConfiguration.Apply(this);
            }
        }
    }
}
