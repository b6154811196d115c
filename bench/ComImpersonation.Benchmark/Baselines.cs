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
}
