using System;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ComImpersonation.Benchmark
{
    /// <summary>
    /// The calling thread's CPU time (Linux: <c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c>), for timing analyzer callbacks on a
    /// shared machine: other work there lengthens a callback's wall time (the thread waits for a core) but not its CPU time.
    /// Elsewhere, wall time.
    /// </summary>
    internal static class ThreadCpu
    {
        private const int ClockThreadCpuTime = 3;

        private static readonly bool Available = OperatingSystem.IsLinux() && TryNow(out _);

        /// <summary>True when <see cref="NowNs"/> is CPU time, false when it falls back to wall time.</summary>
        public static bool IsCpuTime => Available;

        public static long NowNs() =>
            Available && TryNow(out long ns) ? ns : (long)(Stopwatch.GetTimestamp() * (1e9 / Stopwatch.Frequency));

        private static bool TryNow(out long ns)
        {
            try
            {
                if (ClockGetTime(ClockThreadCpuTime, out Timespec time) == 0)
                {
                    ns = time.Seconds * 1_000_000_000 + time.Nanoseconds;
                    return true;
                }
            }
            catch (DllNotFoundException)
            {
            }
            catch (EntryPointNotFoundException)
            {
            }

            ns = 0;
            return false;
        }

        [DllImport("libc", EntryPoint = "clock_gettime")]
        private static extern int ClockGetTime(int clock, out Timespec time);

        [StructLayout(LayoutKind.Sequential)]
        private struct Timespec
        {
            public long Seconds;
            public long Nanoseconds;
        }
    }

    /// <summary>
    /// Ours, unchanged, with the thread CPU time of its callbacks summed (compilation start, which holds the gate, and its
    /// code-block actions): what the analyzer's own work costs, little disturbed by other work on the machine.
    /// </summary>
    // A wrapper: the wrapped analyzer configures its context and registers its actions itself.
#pragma warning disable RS1012, RS1025, RS1026
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    internal sealed class CpuTimedAnalyzer : DiagnosticAnalyzer
    {
        private readonly DiagnosticAnalyzer _inner;
        private long _ns;
        private int _compilations;

        public CpuTimedAnalyzer(DiagnosticAnalyzer inner)
        {
            _inner = inner;
        }

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => _inner.SupportedDiagnostics;

        /// <summary>Mean thread CPU time per compilation since the last call, in ms.</summary>
        public double TakeMs()
        {
            int n = Math.Max(1, Interlocked.Exchange(ref _compilations, 0));
            return Interlocked.Exchange(ref _ns, 0) / 1e6 / n;
        }

        public override void Initialize(AnalysisContext context) => _inner.Initialize(new Context(context, this));

        private void Add(long ns) => Interlocked.Add(ref _ns, ns);

        private sealed class Context : AnalysisContext
        {
            private readonly AnalysisContext _context;
            private readonly CpuTimedAnalyzer _owner;

            public Context(AnalysisContext context, CpuTimedAnalyzer owner)
            {
                _context = context;
                _owner = owner;
            }

            public override void EnableConcurrentExecution() => _context.EnableConcurrentExecution();

            public override void ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags analysisMode) => _context.ConfigureGeneratedCodeAnalysis(analysisMode);

            public override void RegisterCompilationStartAction(Action<CompilationStartAnalysisContext> action) =>
                _context.RegisterCompilationStartAction(start =>
                {
                    Interlocked.Increment(ref _owner._compilations);
                    long begin = ThreadCpu.NowNs();
                    action(new StartContext(start, _owner));
                    _owner.Add(ThreadCpu.NowNs() - begin);
                });

            public override void RegisterCompilationAction(Action<CompilationAnalysisContext> action) => throw new NotSupportedException();

            public override void RegisterSemanticModelAction(Action<SemanticModelAnalysisContext> action) => throw new NotSupportedException();

            public override void RegisterSymbolAction(Action<SymbolAnalysisContext> action, ImmutableArray<SymbolKind> symbolKinds) => throw new NotSupportedException();

            public override void RegisterCodeBlockStartAction<TLanguageKindEnum>(Action<CodeBlockStartAnalysisContext<TLanguageKindEnum>> action) => throw new NotSupportedException();

            public override void RegisterCodeBlockAction(Action<CodeBlockAnalysisContext> action) => throw new NotSupportedException();

            public override void RegisterSyntaxTreeAction(Action<SyntaxTreeAnalysisContext> action) => throw new NotSupportedException();

            public override void RegisterSyntaxNodeAction<TLanguageKindEnum>(Action<SyntaxNodeAnalysisContext> action, ImmutableArray<TLanguageKindEnum> syntaxKinds) => throw new NotSupportedException();
        }

        private sealed class StartContext : CompilationStartAnalysisContext
        {
            private readonly CompilationStartAnalysisContext _start;
            private readonly CpuTimedAnalyzer _owner;

            public StartContext(CompilationStartAnalysisContext start, CpuTimedAnalyzer owner)
                : base(start.Compilation, start.Options, start.CancellationToken)
            {
                _start = start;
                _owner = owner;
            }

            public override void RegisterCodeBlockAction(Action<CodeBlockAnalysisContext> action) =>
                _start.RegisterCodeBlockAction(block =>
                {
                    long begin = ThreadCpu.NowNs();
                    action(block);
                    _owner.Add(ThreadCpu.NowNs() - begin);
                });

            public override void RegisterCompilationEndAction(Action<CompilationAnalysisContext> action) => throw new NotSupportedException();

            public override void RegisterSemanticModelAction(Action<SemanticModelAnalysisContext> action) => throw new NotSupportedException();

            public override void RegisterSymbolAction(Action<SymbolAnalysisContext> action, ImmutableArray<SymbolKind> symbolKinds) => throw new NotSupportedException();

            public override void RegisterCodeBlockStartAction<TLanguageKindEnum>(Action<CodeBlockStartAnalysisContext<TLanguageKindEnum>> action) => throw new NotSupportedException();

            public override void RegisterSyntaxTreeAction(Action<SyntaxTreeAnalysisContext> action) => throw new NotSupportedException();

            public override void RegisterSyntaxNodeAction<TLanguageKindEnum>(Action<SyntaxNodeAnalysisContext> action, ImmutableArray<TLanguageKindEnum> syntaxKinds) => throw new NotSupportedException();
        }
    }
#pragma warning restore RS1012, RS1025, RS1026
}
