using System;
using System.Collections.Immutable;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ComImpersonation.Analyzers.Tests.Robustness
{
    /// <summary>
    /// The robustness harness can fail: it reports an analyzer that throws and one that does not finish, and the
    /// mutator makes what it says, deterministically.
    /// </summary>
    public class HarnessSelfTests
    {
        [Fact]
        public async Task An_analyzer_that_throws_is_reported()
        {
            MutationTarget target = RobustnessCorpus.Flavours[0];
            AnalysisOutcome outcome = await RobustnessHarness.AnalyzeAsync(
                target.Project, target.Document, ImmutableArray.Create<DiagnosticAnalyzer>(new ThrowingAnalyzer()));
            Assert.NotNull(outcome.Failure);
            Assert.Contains("thrown on purpose", outcome.Failure, StringComparison.Ordinal);
        }

        [Fact]
        public async Task An_analyzer_that_does_not_finish_is_reported_as_a_hang()
        {
            MutationTarget target = RobustnessCorpus.Flavours[0];
            AnalysisOutcome outcome = await RobustnessHarness.AnalyzeAsync(
                target.Project, target.Document, ImmutableArray.Create<DiagnosticAnalyzer>(new HangingAnalyzer()), TimeSpan.FromSeconds(1));
            Assert.NotNull(outcome.Failure);
            Assert.StartsWith("hang", outcome.Failure, StringComparison.Ordinal);
        }

        [Fact]
        public void Mutants_are_deterministic_and_differ_from_the_original()
        {
            MutationTarget target = RobustnessCorpus.Sample.First(t => t.Name.EndsWith("LegacyReportCallObject.cs", StringComparison.Ordinal));
            var first = new Mutator(target.Text, MutationTests.TargetSeed(MutationTests.DefaultSeed, target));
            var second = new Mutator(target.Text, MutationTests.TargetSeed(MutationTests.DefaultSeed, target));
            for (int i = 0; i < 50; i++)
            {
                Mutant a = first.Random(i);
                Mutant b = second.Random(i);
                Assert.Equal(a.Text, b.Text);
                Assert.Equal(a.Description, b.Description);
            }

            Assert.True(Enumerable.Range(0, 50).Count(i => first.Random(i).Text != target.Text) >= 45);
            Assert.Equal(first.TokenCount, first.Prefixes(1).Count());
            Assert.All(first.Prefixes(1), prefix => Assert.StartsWith(prefix.Text, target.Text, StringComparison.Ordinal));
        }
    }
}
