using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace ComImpersonation.Benchmark
{
    /// <summary>
    /// Both baselines need a descriptor that is enabled by default: the analyzer driver skips an analyzer all of whose
    /// diagnostics are disabled. Neither ever reports it.
    /// </summary>
    internal static class BaselineDescriptors
    {
        public static readonly DiagnosticDescriptor NoOp = new DiagnosticDescriptor(
            "BENCH001", "No-op", "Never reported", "Benchmark", DiagnosticSeverity.Warning, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor CfgFloor = new DiagnosticDescriptor(
            "BENCH002", "CFG floor", "Never reported", "Benchmark", DiagnosticSeverity.Warning, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor CodeBlockCfg = new DiagnosticDescriptor(
            "BENCH003", "CFG from a code block", "Never reported", "Benchmark", DiagnosticSeverity.Warning, isEnabledByDefault: true);
    }

    /// <summary>
    /// The cost of being loaded: an analyzer that registers what ours registers once past its gate (a code-block action,
    /// concurrent, generated code skipped) and does nothing in it.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    internal sealed class NoOpAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(BaselineDescriptors.NoOp);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCodeBlockAction(static _ => { });
        }
    }

    /// <summary>
    /// The cost any flow analysis must pay: an operation-block action that builds the control-flow graph of every
    /// method body (the graph the driver caches for flow analyzers), and does nothing with it.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    internal sealed class CfgFloorAnalyzer : DiagnosticAnalyzer
    {
        private int _graphs;
        private long _blocks;

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(BaselineDescriptors.CfgFloor);

        /// <summary>Graphs built since the last <see cref="Reset"/> (a check that the floor really ran).</summary>
        public int Graphs => Volatile.Read(ref _graphs);

        public long Blocks => Interlocked.Read(ref _blocks);

        public void Reset()
        {
            Volatile.Write(ref _graphs, 0);
            Interlocked.Exchange(ref _blocks, 0);
        }

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterOperationBlockAction(block =>
            {
                if (block.OwningSymbol.Kind != SymbolKind.Method)
                {
                    return;
                }

                foreach (IOperation operation in block.OperationBlocks)
                {
                    // A method's body is given as its block (whose parent is the method-body operation); attributes and
                    // parameter defaults are the other operation blocks, and no flow analysis looks at them.
                    if (operation.Kind is OperationKind.MethodBody or OperationKind.ConstructorBody or OperationKind.Block)
                    {
                        ControlFlowGraph graph = block.GetControlFlowGraph(operation);
                        Interlocked.Increment(ref _graphs);
                        Interlocked.Add(ref _blocks, graph.Blocks.Length);
                    }
                }
            });
        }
    }

    /// <summary>
    /// For profiling: what ours pays for every method that passes its pre-check, built the way ours builds it: a
    /// code-block action that asks for the operation tree and the control-flow graph inside its callback.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    internal sealed class CodeBlockCfgAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(BaselineDescriptors.CodeBlockCfg);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCodeBlockAction(block =>
            {
                if (block.OwningSymbol.Kind == SymbolKind.Method)
                {
                    _ = ControlFlowGraph.Create(block.CodeBlock, block.SemanticModel, block.CancellationToken);
                }
            });
        }
    }

    /// <summary>
    /// For profiling: ours cut off after a stage, to see what each stage adds. 1: the compilation-start gate;
    /// 2: and the pre-check of every code block; 3: and the control-flow graph of each block that passes it;
    /// 4: and every body's model (effects extracted). The full analyzer adds the fixed points and the rules.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    internal sealed class StageAnalyzer : DiagnosticAnalyzer
    {
        private static readonly DiagnosticDescriptor Descriptor = new DiagnosticDescriptor(
            "BENCH004", "Stage", "Never reported", "Benchmark", DiagnosticSeverity.Warning, isEnabledByDefault: true);

        private readonly int _stage;

        public StageAnalyzer(int stage)
        {
            _stage = stage;
        }

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptor);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.ReportDiagnostics);
            context.RegisterCompilationStartAction(start =>
            {
                ComImpersonation.Analyzers.Api.ApiModel? api = ComImpersonation.Analyzers.Api.ApiModel.TryCreate(start.Compilation, start.Options.AnalyzerConfigOptionsProvider, start.CancellationToken);
                if (api is null || _stage < 2)
                {
                    return;
                }

                var summaries = new ComImpersonation.Analyzers.Analysis.MethodSummaries(start.Compilation, api);
                start.RegisterCodeBlockAction(block =>
                {
                    if (block.OwningSymbol.Kind != SymbolKind.Method)
                    {
                        return;
                    }

                    var options = ComImpersonation.Analyzers.Api.ApiOptions.Read(block.Options.AnalyzerConfigOptionsProvider.GetOptions(block.CodeBlock.SyntaxTree));
                    if (!ComImpersonation.Analyzers.Analysis.PreCheck.MayMatter(block.CodeBlock, api, options, summaries, block.CancellationToken) || _stage < 3)
                    {
                        return;
                    }

                    ControlFlowGraph? graph = ControlFlowGraph.Create(block.CodeBlock, block.SemanticModel, block.CancellationToken);
                    if (graph is null || _stage < 4)
                    {
                        return;
                    }

                    var session = new ComImpersonation.Analyzers.Analysis.BodySession(graph, block.SemanticModel, block.OwningSymbol, api, options, summaries, options.InterproceduralDepth, block.CancellationToken);
                    _ = session.Bodies();
                });
            });
        }
    }
}

namespace ComImpersonation.Benchmark
{
    using System;
    using System.Diagnostics;
    using System.Linq;
    using ComImpersonation.Analyzers.Analysis;
    using ComImpersonation.Analyzers.Api;

    /// <summary>
    /// Where ours spends its time on a compilation, stage by stage, and why code blocks pass the pre-check: the gate
    /// (<see cref="ApiModel.TryCreate"/>), the wrapper-name index (built eagerly here, at compilation start, so that it is
    /// timed on its own; ours builds it on the first block that needs it), the pre-check of every code block
    /// (<see cref="PreCheck.Why"/>, the same code as ours' <c>MayMatter</c>, counted by reason), and the operation tree and
    /// control-flow graph of each block that passes, built as ours builds it. The analysis itself (body models, fixed
    /// points, rules, callees' summaries) is what ours' callback time adds to these. The counters are the benchmark's:
    /// nothing is counted in the shipped analyzer. Times are the callbacks' thread CPU time (<see cref="ThreadCpu"/>).
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    internal sealed class BreakdownAnalyzer : DiagnosticAnalyzer
    {
        private static readonly DiagnosticDescriptor Descriptor = new DiagnosticDescriptor(
            "BENCH005", "Breakdown", "Never reported", "Benchmark", DiagnosticSeverity.Warning, isEnabledByDefault: true);

        private readonly long[] _reasons = new long[Enum.GetValues<PreCheckReason>().Length];
        private long _gateTicks;
        private long _indexTicks;
        private long _preCheckTicks;
        private long _graphTicks;
        private long _graphs;
        private long _blocks;
        private int _gatePassed;
        private int _compilations;
        private (int Names, int Trees, int AllTrees, string Sample) _index;

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Descriptor);

        /// <summary>The figures since the last call, per compilation (times are means over the compilations; counts are the same in each).</summary>
        public Snapshot Take()
        {
            int n = Math.Max(1, Interlocked.Exchange(ref _compilations, 0));
            var snapshot = new Snapshot(
                Ms(ref _gateTicks) / n, Ms(ref _indexTicks) / n, Ms(ref _preCheckTicks) / n, Ms(ref _graphTicks) / n,
                Interlocked.Exchange(ref _graphs, 0) / n, Interlocked.Exchange(ref _blocks, 0) / n, Interlocked.Exchange(ref _gatePassed, 0) != 0,
                Enum.GetValues<PreCheckReason>().ToImmutableDictionary(r => r, r => Interlocked.Exchange(ref _reasons[(int)r], 0) / n),
                n,
                _index);
            return snapshot;

            static double Ms(ref long ns) => Interlocked.Exchange(ref ns, 0) / 1e6;
        }

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.ReportDiagnostics);
            context.RegisterCompilationStartAction(start =>
            {
                Interlocked.Increment(ref _compilations);
                long begin = ThreadCpu.NowNs();
                ApiModel? api = ApiModel.TryCreate(start.Compilation, start.Options.AnalyzerConfigOptionsProvider, start.CancellationToken);
                Interlocked.Add(ref _gateTicks, ThreadCpu.NowNs() - begin);
                if (api is null)
                {
                    return;
                }

                Volatile.Write(ref _gatePassed, 1);
                var summaries = new MethodSummaries(start.Compilation, api);
                begin = ThreadCpu.NowNs();
                _ = summaries.MayBeWrapperName("", start.CancellationToken);
                Interlocked.Add(ref _indexTicks, ThreadCpu.NowNs() - begin);
                _index = (summaries.IndexedNames!.Count - api.CandidateNames.Count, summaries.IndexedTrees ?? 0, start.Compilation.SyntaxTrees.Count(),
                    string.Join(", ", summaries.IndexedNames.Where(n => !api.CandidateNames.Contains(n)).OrderBy(n => n, StringComparer.Ordinal).Take(30)));
                start.RegisterCodeBlockAction(block =>
                {
                    if (block.OwningSymbol.Kind != SymbolKind.Method)
                    {
                        return;
                    }

                    long t0 = ThreadCpu.NowNs();
                    var options = ApiOptions.Read(block.Options.AnalyzerConfigOptionsProvider.GetOptions(block.CodeBlock.SyntaxTree));
                    PreCheckReason reason = PreCheck.Why(block.CodeBlock, api, options, summaries, block.CancellationToken);
                    long t1 = ThreadCpu.NowNs();
                    Interlocked.Add(ref _preCheckTicks, t1 - t0);
                    Interlocked.Increment(ref _blocks);
                    Interlocked.Increment(ref _reasons[(int)reason]);
                    if (reason == PreCheckReason.None || HasSyntaxErrors(block.CodeBlock))
                    {
                        return;
                    }

                    _ = ControlFlowGraph.Create(block.CodeBlock, block.SemanticModel, block.CancellationToken);
                    Interlocked.Add(ref _graphTicks, ThreadCpu.NowNs() - t1);
                    Interlocked.Increment(ref _graphs);
                });
            });
        }

        private static bool HasSyntaxErrors(SyntaxNode codeBlock) =>
            codeBlock.ContainsDiagnostics && codeBlock.GetDiagnostics().Any(d => d.Severity == DiagnosticSeverity.Error);

        /// <summary>One compilation's figures.</summary>
        internal sealed record Snapshot(double GateMs, double IndexMs, double PreCheckMs, double GraphMs, long Graphs, long Blocks, bool GatePassed, ImmutableDictionary<PreCheckReason, long> Reasons, int Compilations, (int Names, int Trees, int AllTrees, string Sample) Index);
    }
}
