using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ComImpersonation.Analyzers.Tests.Infrastructure;
using ComImpersonation.CodeFixes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace ComImpersonation.Analyzers.Tests.Robustness
{
    /// <summary>
    /// Runs the analyzer and the code fixes the way an IDE does, outside the testing library, so that broken code
    /// can be fed to them: compiler errors are allowed, and what is checked is that nothing throws (no analyzer
    /// exception, no AD0001, no exception from a fix) and nothing hangs (every step finishes within a time limit).
    /// Analysis runs through <see cref="CompilationWithAnalyzers"/> with concurrent execution on.
    /// </summary>
    internal static class RobustnessHarness
    {
        /// <summary>
        /// How long one analysis or one fix may take before it counts as a hang. Generous: a mutant takes
        /// milliseconds; this only catches analyses that do not finish, on a loaded 2-core CI machine too.
        /// </summary>
        public static readonly TimeSpan StepLimit = TimeSpan.FromSeconds(30);

        private static readonly AdhocWorkspace Workspace = new AdhocWorkspace();

        public static ImmutableArray<DiagnosticAnalyzer> Analyzers { get; } = ImmutableArray.Create<DiagnosticAnalyzer>(new ImpersonationAnalyzer());

        /// <summary>Every code fix provider the package ships, found by reflection so a new one is covered too.</summary>
        public static ImmutableArray<CodeFixProvider> FixProviders { get; } = typeof(ImpersonationCodeFixProvider).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(CodeFixProvider).IsAssignableFrom(t))
            .OrderBy(t => t.FullName, StringComparer.Ordinal)
            .Select(t => (CodeFixProvider)Activator.CreateInstance(t)!)
            .ToImmutableArray();

        /// <summary>
        /// A project with <paramref name="files"/>, compiled as the tests compile code (C# 12, unsafe allowed, the
        /// SDK's reference pack), in a solution of its own.
        /// </summary>
        public static Project CreateProject(string name, IEnumerable<(string Path, string Text)> files, bool nullable = false, bool withReferences = true)
        {
            ProjectId projectId = ProjectId.CreateNewId(name);
            var compilationOptions = new CSharpCompilationOptions(
                OutputKind.DynamicallyLinkedLibrary,
                allowUnsafe: true,
                nullableContextOptions: nullable ? NullableContextOptions.Enable : NullableContextOptions.Disable);
            Solution solution = Workspace.CurrentSolution
                .AddProject(ProjectInfo.Create(
                    projectId,
                    VersionStamp.Default,
                    name,
                    name,
                    LanguageNames.CSharp,
                    compilationOptions: compilationOptions,
                    parseOptions: new CSharpParseOptions(LanguageVersion.CSharp12),
                    metadataReferences: withReferences ? TestReferences.Net : Enumerable.Empty<MetadataReference>()));
            foreach ((string path, string text) in files)
            {
                DocumentId documentId = DocumentId.CreateNewId(projectId, path);
                solution = solution.AddDocument(documentId, path, SourceText.From(text), filePath: path);
            }

            return solution.GetProject(projectId)!;
        }

        /// <summary>
        /// Analyzes <paramref name="document"/> (or, when null, every document of <paramref name="project"/>)
        /// within <see cref="StepLimit"/>; the diagnostics, or why the analysis failed.
        /// </summary>
        public static async Task<AnalysisOutcome> AnalyzeAsync(Project project, DocumentId? document, ImmutableArray<DiagnosticAnalyzer> analyzers = default, TimeSpan? limit = null)
        {
            analyzers = analyzers.IsDefault ? Analyzers : analyzers;
            var exceptions = new ConcurrentQueue<string>();
            try
            {
                ImmutableArray<Diagnostic> diagnostics = await WithinAsync(
                    async cancellationToken =>
                    {
                        Compilation compilation = (await project.GetCompilationAsync(cancellationToken).ConfigureAwait(false))!;
                        var options = new CompilationWithAnalyzersOptions(
                            project.AnalyzerOptions,
                            onAnalyzerException: (exception, analyzer, diagnostic) => exceptions.Enqueue(analyzer.GetType().Name + ": " + exception),
                            concurrentAnalysis: true,
                            logAnalyzerExecutionTime: false,
                            reportSuppressedDiagnostics: false);
                        CompilationWithAnalyzers withAnalyzers = compilation.WithAnalyzers(analyzers, options);
                        if (document is null)
                        {
                            return await withAnalyzers.GetAnalyzerDiagnosticsAsync(cancellationToken).ConfigureAwait(false);
                        }

                        SyntaxTree tree = (await project.GetDocument(document)!.GetSyntaxTreeAsync(cancellationToken).ConfigureAwait(false))!;
                        SemanticModel model = compilation.GetSemanticModel(tree);
                        ImmutableArray<Diagnostic> syntactic = await withAnalyzers.GetAnalyzerSyntaxDiagnosticsAsync(tree, cancellationToken).ConfigureAwait(false);
                        ImmutableArray<Diagnostic> semantic = await withAnalyzers.GetAnalyzerSemanticDiagnosticsAsync(model, filterSpan: null, cancellationToken).ConfigureAwait(false);
                        return syntactic.AddRange(semantic);
                    },
                    limit ?? StepLimit).ConfigureAwait(false);

                foreach (Diagnostic diagnostic in diagnostics)
                {
                    if (diagnostic.Id is "AD0001" or "AD0002")
                    {
                        exceptions.Enqueue(diagnostic.ToString());
                    }
                }

                return exceptions.IsEmpty
                    ? new AnalysisOutcome(diagnostics.Where(d => d.Id.StartsWith("COMIMP", StringComparison.Ordinal)).ToImmutableArray(), failure: null)
                    : new AnalysisOutcome(ImmutableArray<Diagnostic>.Empty, "the analyzer threw:\n" + string.Join("\n", exceptions));
            }
            catch (TimeoutException timeout)
            {
                return new AnalysisOutcome(ImmutableArray<Diagnostic>.Empty, "hang: the analysis " + timeout.Message);
            }
            catch (Exception exception)
            {
                return new AnalysisOutcome(ImmutableArray<Diagnostic>.Empty, "the analysis threw: " + exception);
            }
        }

        /// <summary>
        /// Asks every provider that fixes <paramref name="diagnostic"/> for its code actions and applies each one.
        /// Returns the fixed solutions (one per action), or throws <see cref="RobustnessFailure"/> when a provider or an
        /// action throws or does not finish.
        /// </summary>
        public static async Task<List<(string Title, Solution Fixed)>> ApplyEveryFixAsync(Document document, Diagnostic diagnostic)
        {
            var results = new List<(string, Solution)>();
            foreach (CodeFixProvider provider in FixProviders)
            {
                if (!provider.FixableDiagnosticIds.Contains(diagnostic.Id))
                {
                    continue;
                }

                string where = provider.GetType().Name + " on " + diagnostic.Id + " at " + diagnostic.Location.GetLineSpan().StartLinePosition;
                try
                {
                    List<(string, Solution)> fixes = await WithinAsync(
                        async cancellationToken =>
                        {
                            var actions = new List<CodeAction>();
                            var context = new CodeFixContext(document, diagnostic, (action, _) => actions.Add(action), cancellationToken);
                            await provider.RegisterCodeFixesAsync(context).ConfigureAwait(false);
                            var applied = new List<(string, Solution)>();
                            foreach (CodeAction action in actions)
                            {
                                applied.Add((action.Title, await ApplyAsync(action, cancellationToken).ConfigureAwait(false)));
                            }

                            return applied;
                        },
                        StepLimit).ConfigureAwait(false);
                    results.AddRange(fixes);
                }
                catch (TimeoutException timeout)
                {
                    throw new RobustnessFailure("hang: " + where + " " + timeout.Message);
                }
                catch (Exception exception) when (exception is not RobustnessFailure)
                {
                    throw new RobustnessFailure(where + " threw: " + exception);
                }
            }

            return results;
        }

        /// <summary>The solution a code action produces (its one <see cref="ApplyChangesOperation"/>).</summary>
        public static async Task<Solution> ApplyAsync(CodeAction action, CancellationToken cancellationToken)
        {
            ImmutableArray<CodeActionOperation> operations = await action.GetOperationsAsync(cancellationToken).ConfigureAwait(false);
            ApplyChangesOperation apply = operations.OfType<ApplyChangesOperation>().Single();
            return apply.ChangedSolution;
        }

        /// <summary>Runs <paramref name="work"/> on the thread pool; a <see cref="TimeoutException"/> if it does not finish in time.</summary>
        public static async Task<T> WithinAsync<T>(Func<CancellationToken, Task<T>> work, TimeSpan limit)
        {
            using var cancellation = new CancellationTokenSource();
            Task<T> task = Task.Run(() => work(cancellation.Token));
            Task finished = await Task.WhenAny(task, Task.Delay(limit)).ConfigureAwait(false);
            if (finished != task)
            {
                cancellation.Cancel(); // ask it to stop; a hang that ignores this keeps running in the background
                _ = task.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
                throw new TimeoutException("did not finish within " + limit.TotalSeconds + " s");
            }

            return await task.ConfigureAwait(false);
        }
    }

    /// <summary>The COMIMP diagnostics of one analysis, or what went wrong.</summary>
    internal sealed class AnalysisOutcome
    {
        public AnalysisOutcome(ImmutableArray<Diagnostic> diagnostics, string? failure)
        {
            Diagnostics = diagnostics;
            Failure = failure;
        }

        public ImmutableArray<Diagnostic> Diagnostics { get; }

        /// <summary>Null when the analysis finished without an exception.</summary>
        public string? Failure { get; }
    }

    /// <summary>An exception, AD0001 or hang found by the harness.</summary>
    internal sealed class RobustnessFailure : Exception
    {
        public RobustnessFailure(string message)
            : base(message)
        {
        }
    }
}
