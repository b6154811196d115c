using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using Xunit.Abstractions;

namespace ComImpersonation.Analyzers.Tests.Robustness
{
    /// <summary>
    /// Issue 8, "never crash, never hang": the analyzer, and every fix it offers, run on thousands of broken variants
    /// of real inputs and must neither throw (no analyzer exception, no AD0001, no exception from a fix provider or
    /// its code action) nor fail to finish within <see cref="RobustnessHarness.StepLimit"/>.
    /// </summary>
    /// <remarks>
    /// <para>Inputs (<see cref="RobustnessCorpus"/>): the 8 files of samples/AsyncComServer (each mutated in the sample's
    /// project), the 20 files of the valid-code corpus, and one call object per interop flavour (18 COM, 13 of the other
    /// impersonation APIs) on which every rule reports, so that every fix is offered.</para>
    /// <para>Mutants, with the counts CI runs: 10,646 in all. Measured on the 2-core machine in Release: about 105 s for
    /// this test run alone. The mutants' analyses find about 4,000 diagnostics in the members they touch, and about 2,800
    /// fixes are applied and analysed again (a method with a compile error gets no diagnostic, so most fixes run on
    /// mutants that still compile there).</para>
    /// <list type="bullet">
    /// <item>every prefix of every sample file that ends at a token (<see cref="SamplePrefixStride"/> = 1: 2,796);</item>
    /// <item><see cref="RandomPerSampleFile"/> (150) random mutants per sample file, <see cref="RandomPerValidCodeFile"/> (100)
    /// per valid-code file and <see cref="RandomPerFlavour"/> (150) per flavour call object (7,850 in all): one to three
    /// edits each, of token deletions, insertions (structural tokens such as braces, <c>return</c>, <c>goto</c>, <c>await</c>,
    /// <c>finally</c>, <c>yield</c>, preprocessor lines, or any token of the file), duplications of up to 20 tokens
    /// (in place or elsewhere) and swaps (see <see cref="Mutator"/>).</item>
    /// </list>
    /// <para>For each mutant the analyzer runs on the mutated file through <c>CompilationWithAnalyzers</c> with concurrent
    /// analysis on. Every provider is then asked to fix every COMIMP diagnostic in the members the mutation touched
    /// (diagnostics elsewhere are in code the fix tests already cover; fixing them all would cost ten times as much),
    /// each code action it offers is applied, and the fixed file is analysed again.</para>
    /// <para>To reproduce a failure: the message names the seed, the file, the mutant's index and its edits, and the
    /// mutant's text is written to a file whose path it gives. <c>new Mutator(text, TargetSeed(seed, target)).Random(index)</c>
    /// (or <c>.Prefixes(1)</c>) makes it again. <c>COMIMP_MUTATION_SEED=n</c> runs the whole test with another seed, and
    /// <c>COMIMP_MUTATION_SCALE=n</c> with n times as many random mutants.</para>
    /// </remarks>
    public class MutationTests
    {
        /// <summary>The seed CI runs with. <c>COMIMP_MUTATION_SEED</c> runs another (for exploring; failures name it).</summary>
        public const int DefaultSeed = 20240817;

        private const int SamplePrefixStride = 1;
        private const int RandomPerSampleFile = 150;
        private const int RandomPerValidCodeFile = 100;
        private const int RandomPerFlavour = 150;

        /// <summary>Failures reported in full; the rest are counted.</summary>
        private const int MaxReported = 10;

        private readonly ITestOutputHelper _output;

        public MutationTests(ITestOutputHelper output)
        {
            _output = output;
        }

        private static int Seed =>
            int.TryParse(Environment.GetEnvironmentVariable("COMIMP_MUTATION_SEED"), out int seed) ? seed : DefaultSeed;

        /// <summary><c>COMIMP_MUTATION_SCALE=n</c> makes n times as many random mutants (for exploring; CI runs 1).</summary>
        private static int Scale =>
            int.TryParse(Environment.GetEnvironmentVariable("COMIMP_MUTATION_SCALE"), out int scale) && scale > 0 ? scale : 1;

        [Fact]
        public async Task Analyzer_and_fixes_survive_mutants_of_the_sample_the_valid_code_and_every_flavour()
        {
            int seed = Seed;
            int scale = Scale;
            var work = new List<(MutationTarget Target, Mutant Mutant)>();
            foreach (MutationTarget target in RobustnessCorpus.Sample)
            {
                var mutator = new Mutator(target.Text, TargetSeed(seed, target));
                work.AddRange(mutator.Prefixes(SamplePrefixStride).Select(m => (target, m)));
                work.AddRange(Enumerable.Range(0, RandomPerSampleFile * scale).Select(i => (target, mutator.Random(i))));
            }

            foreach (MutationTarget target in RobustnessCorpus.ValidCode)
            {
                var mutator = new Mutator(target.Text, TargetSeed(seed, target));
                work.AddRange(Enumerable.Range(0, RandomPerValidCodeFile * scale).Select(i => (target, mutator.Random(i))));
            }

            foreach (MutationTarget target in RobustnessCorpus.Flavours)
            {
                var mutator = new Mutator(target.Text, TargetSeed(seed, target));
                work.AddRange(Enumerable.Range(0, RandomPerFlavour * scale).Select(i => (target, mutator.Random(i))));
            }

            var failures = new ConcurrentQueue<string>();
            int diagnostics = 0;
            int fixesApplied = 0;
            var clock = Stopwatch.StartNew();
            await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = 2 }, async (item, _) =>
            {
                (MutationTarget target, Mutant mutant) = item;
                (int found, int applied, string? failure) = await CheckAsync(target, mutant);
                Interlocked.Add(ref diagnostics, found);
                Interlocked.Add(ref fixesApplied, applied);
                if (failure is not null)
                {
                    failures.Enqueue(Report(seed, target, mutant, failure));
                }
            });

            _output.WriteLine($"seed {seed}, scale {scale}: {work.Count} mutants ({work.Count(w => w.Mutant.Description.StartsWith("prefix", StringComparison.Ordinal))} prefixes), "
                + $"{diagnostics} diagnostics in mutated members, {fixesApplied} fixes applied and re-analysed, {clock.Elapsed.TotalSeconds:F1} s");
            Assert.True(
                failures.IsEmpty,
                failures.Count + " of " + work.Count + " mutants failed (seed " + seed + "):\n\n" + string.Join("\n\n", failures.Take(MaxReported)));
        }

        /// <summary>Analyses one mutant and applies every fix offered in what it touched; the counts, or the first failure.</summary>
        internal static async Task<(int Diagnostics, int Fixes, string? Failure)> CheckAsync(MutationTarget target, Mutant mutant)
        {
            Project project = target.With(mutant.Text);
            AnalysisOutcome outcome = await RobustnessHarness.AnalyzeAsync(project, target.Document);
            if (outcome.Failure is not null)
            {
                return (0, 0, outcome.Failure);
            }

            Document document = project.GetDocument(target.Document)!;
            SyntaxNode root = (await document.GetSyntaxRootAsync())!;
            TextSpan changed = ChangedRegion(target.Text, mutant.Text);
            int found = 0;
            int applied = 0;
            foreach (Diagnostic diagnostic in outcome.Diagnostics)
            {
                if (diagnostic.Location.SourceTree != root.SyntaxTree || !Touches(MemberOf(root, diagnostic.Location.SourceSpan), changed))
                {
                    continue;
                }

                found++;
                List<(string Title, Solution Fixed)> fixes;
                try
                {
                    fixes = await RobustnessHarness.ApplyEveryFixAsync(document, diagnostic);
                }
                catch (RobustnessFailure failure)
                {
                    return (found, applied, failure.Message);
                }

                foreach ((string title, Solution fixedSolution) in fixes)
                {
                    applied++;
                    AnalysisOutcome again = await RobustnessHarness.AnalyzeAsync(fixedSolution.GetProject(project.Id)!, target.Document);
                    if (again.Failure is not null)
                    {
                        return (found, applied, "after the fix '" + title + "' on " + diagnostic.Id + ": " + again.Failure);
                    }
                }
            }

            return (found, applied, null);
        }

        /// <summary>Each file gets its own stream of mutants: the seed mixed with a stable hash of the file's name.</summary>
        internal static int TargetSeed(int seed, MutationTarget target)
        {
            unchecked
            {
                int hash = (int)2166136261;
                foreach (char c in target.Name)
                {
                    hash = (hash ^ c) * 16777619;
                }

                return seed ^ hash;
            }
        }

        /// <summary>The part of <paramref name="mutated"/> that differs from <paramref name="original"/> (empty at the end for a prefix).</summary>
        private static TextSpan ChangedRegion(string original, string mutated)
        {
            int prefix = 0;
            int max = Math.Min(original.Length, mutated.Length);
            while (prefix < max && original[prefix] == mutated[prefix])
            {
                prefix++;
            }

            int suffix = 0;
            while (suffix < max - prefix && original[original.Length - 1 - suffix] == mutated[mutated.Length - 1 - suffix])
            {
                suffix++;
            }

            return TextSpan.FromBounds(prefix, Math.Max(prefix, mutated.Length - suffix));
        }

        /// <summary>The member (method, accessor, constructor…) around a diagnostic, else the whole file.</summary>
        private static TextSpan MemberOf(SyntaxNode root, TextSpan span)
        {
            for (SyntaxNode? node = root.FindNode(span, getInnermostNodeForTie: true); node is not null; node = node.Parent)
            {
                if (node is MemberDeclarationSyntax and not BaseTypeDeclarationSyntax and not BaseNamespaceDeclarationSyntax)
                {
                    return node.FullSpan;
                }
            }

            return root.FullSpan;
        }

        private static bool Touches(TextSpan member, TextSpan changed) =>
            changed.Start <= member.End && member.Start <= changed.End;

        private static string Report(int seed, MutationTarget target, Mutant mutant, string failure)
        {
            string path = Path.Combine(Path.GetTempPath(), "comimp-mutant-" + seed + "-" + Sanitize(target.Name) + "-" + mutant.Index + ".cs");
            try
            {
                File.WriteAllText(path, mutant.Text);
            }
            catch (IOException)
            {
                path = "(could not be written)";
            }

            return "seed " + seed + ", " + target.Name + ", mutant " + mutant.Index + ": " + mutant.Description + "\n"
                + "mutant text: " + path + "\n" + failure;
        }

        private static string Sanitize(string name) =>
            new string(name.Select(c => char.IsLetterOrDigit(c) || c == '.' ? c : '_').ToArray());
    }
}
