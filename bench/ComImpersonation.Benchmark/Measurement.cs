using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Diagnostics.Telemetry;

namespace ComImpersonation.Benchmark
{
    /// <summary>One way of compiling a corpus: the compiler alone, or the compiler with one analyzer.</summary>
    internal sealed class Configuration
    {
        private Configuration(string name, DiagnosticAnalyzer? analyzer, DiagnosticAnalyzer? companion = null)
        {
            Name = name;
            Analyzer = analyzer;
            Companion = companion;
        }

        public string Name { get; }

        /// <summary>The analyzer that runs (and whose callback time is measured); null for the compiler alone.</summary>
        public DiagnosticAnalyzer? Analyzer { get; }

        public static Configuration CompileOnly { get; } = new Configuration("compilation alone", analyzer: null);

        /// <summary>An analyzer that runs in the same compilation as <see cref="Analyzer"/> (its callback time is read separately).</summary>
        public DiagnosticAnalyzer? Companion { get; }

        public static Configuration With(string name, DiagnosticAnalyzer analyzer) => new Configuration(name, analyzer);

        /// <summary>Two analyzers in one compilation, as a build that enables both runs them: they share the driver's operation trees.</summary>
        public static Configuration Beside(string name, DiagnosticAnalyzer analyzer, DiagnosticAnalyzer companion) => new Configuration(name, analyzer, companion);
    }

    /// <summary>One timed run of one configuration over a fresh compilation.</summary>
    internal sealed class Sample
    {
        public Sample(double wallMs, double cpuMs, double allocatedMB, double callbackMs, int errors, IReadOnlyDictionary<string, int> analyzerDiagnostics, double companionCallbackMs = 0)
        {
            CompanionCallbackMs = companionCallbackMs;
            WallMs = wallMs;
            CpuMs = cpuMs;
            AllocatedMB = allocatedMB;
            CallbackMs = callbackMs;
            Errors = errors;
            AnalyzerDiagnostics = analyzerDiagnostics;
        }

        /// <summary>Stopwatch time of GetDiagnostics (compiler alone) or GetAllDiagnosticsAsync (with the analyzer).</summary>
        public double WallMs { get; }

        /// <summary>CPU time of the whole process over the same interval (all threads; less disturbed by other load).</summary>
        public double CpuMs { get; }

        /// <summary>Memory allocated by the whole process over the same interval (hardly disturbed by other load).</summary>
        public double AllocatedMB { get; }

        /// <summary>The analyzer's callback time (AnalyzerTelemetryInfo.ExecutionTime: what -p:ReportAnalyzer=true prints).</summary>
        public double CallbackMs { get; }

        public int Errors { get; }

        /// <summary>The companion analyzer's callback time in the same run (0 when there is none).</summary>
        public double CompanionCallbackMs { get; }

        /// <summary>Diagnostics the analyzer reported, by ID.</summary>
        public IReadOnlyDictionary<string, int> AnalyzerDiagnostics { get; }
    }

    /// <summary>The medians of one configuration's samples, and the pairwise differences to the no-op analyzer.</summary>
    internal sealed class Result
    {
        public Result(Configuration configuration, List<Sample> samples, List<double> overNoOpMs)
        {
            Configuration = configuration;
            Samples = samples;
            WallMs = Median(samples.Select(s => s.WallMs));
            CpuMs = Median(samples.Select(s => s.CpuMs));
            AllocatedMB = Median(samples.Select(s => s.AllocatedMB));
            CallbackMs = Median(samples.Select(s => s.CallbackMs));
            CompanionCallbackMs = Median(samples.Select(s => s.CompanionCallbackMs));
            OverNoOpMs = overNoOpMs.Count == 0 ? double.NaN : Median(overNoOpMs);
            BestWallMs = samples.Count == 0 ? double.NaN : samples.Min(s => s.WallMs);
            BestCallbackMs = samples.Count == 0 ? double.NaN : samples.Min(s => s.CallbackMs);
        }

        public Configuration Configuration { get; }

        public List<Sample> Samples { get; }

        public double WallMs { get; }

        public double CpuMs { get; }

        public double AllocatedMB { get; }

        public double CallbackMs { get; }

        public double CompanionCallbackMs { get; }

        /// <summary>Median over iterations of (this wall time − the no-op analyzer's wall time in the same iteration).</summary>
        public double OverNoOpMs { get; }

        /// <summary>
        /// The fastest run's wall time. Other work on the machine only ever adds time, so the fastest of several runs is
        /// the least disturbed estimate of what a configuration itself costs.
        /// </summary>
        public double BestWallMs { get; }

        /// <summary>The least callback time of the runs (as <see cref="BestWallMs"/>: the least disturbed).</summary>
        public double BestCallbackMs { get; }

        /// <summary>This configuration's fastest wall time − the no-op analyzer's fastest (NaN for the compiler alone).</summary>
        public double BestOverNoOpMs { get; private set; } = double.NaN;

        internal void SetNoOp(Result noOp) => BestOverNoOpMs = BestWallMs - noOp.BestWallMs;

        public IReadOnlyDictionary<string, int> Diagnostics => Samples[Samples.Count - 1].AnalyzerDiagnostics;

        public static double Median(IEnumerable<double> values)
        {
            double[] sorted = values.OrderBy(v => v).ToArray();
            if (sorted.Length == 0)
            {
                return double.NaN;
            }

            int middle = sorted.Length / 2;
            return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        }
    }

    /// <summary>
    /// Runs configurations side by side in this process: each iteration builds a fresh <see cref="CSharpCompilation"/>
    /// from the same (already parsed) syntax trees, so no semantic cache survives from one run to the next, and runs
    /// every configuration once, in an order that rotates from one iteration to the next so that drift in the
    /// machine's speed spreads evenly. Warm-up iterations are run and thrown away first.
    /// </summary>
    internal sealed class Measurement
    {
        private readonly ImmutableArray<MetadataReference> _references;
        private readonly CSharpCompilationOptions _options;
        private readonly AnalyzerOptions _analyzerOptions = new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty);
        private readonly ConcurrentQueue<string> _analyzerExceptions = new ConcurrentQueue<string>();
        private readonly DiagnosticAnalyzer _noOp;
        private readonly bool _sequential;

        /// <summary>Print the first few diagnostics of each run (--verbose).</summary>
        public bool Verbose { get; set; }

        /// <summary>For a real code base: its own references and compilation options (<see cref="RealProject"/>).</summary>
        public Measurement(ImmutableArray<MetadataReference> references, CSharpCompilationOptions options, NoOpAnalyzer noOp, bool sequential = false)
        {
            _sequential = sequential;
            _references = references;
            _noOp = noOp;
            _options = options.WithConcurrentBuild(!sequential)
                .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic> { [References.Ca2000] = ReportDiagnostic.Warn });
        }

        public Measurement(ImmutableArray<MetadataReference> references, NoOpAnalyzer noOp, bool sequential = false)
        {
            _sequential = sequential;
            _references = references;
            _noOp = noOp;
            _options = new CSharpCompilationOptions(
                    OutputKind.DynamicallyLinkedLibrary,
                    optimizationLevel: OptimizationLevel.Release,
                    nullableContextOptions: NullableContextOptions.Enable,
                    concurrentBuild: !sequential,
                    deterministic: true)
                // CA2000 is disabled by default: enable it explicitly, as a project that wants it does.
                .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic> { [References.Ca2000] = ReportDiagnostic.Warn });
        }

        public Dictionary<Configuration, Result> Run(Corpus corpus, IReadOnlyList<Configuration> configurations, int warmUps, int iterations, Action<string> progress)
        {
            var samples = configurations.ToDictionary(c => c, _ => new List<Sample>());
            var overNoOp = configurations.ToDictionary(c => c, _ => new List<double>());
            Configuration? noOp = configurations.FirstOrDefault(c => c.Analyzer is NoOpAnalyzer);
            for (int iteration = -warmUps; iteration < iterations; iteration++)
            {
                var thisRound = new Dictionary<Configuration, Sample>();
                int start = (iteration + warmUps) % configurations.Count;
                for (int i = 0; i < configurations.Count; i++)
                {
                    Configuration configuration = configurations[(start + i) % configurations.Count];
                    thisRound[configuration] = RunOnce(corpus, configuration);
                }

                progress(iteration < 0
                    ? $"  warm-up {iteration + warmUps + 1}/{warmUps}"
                    : $"  iteration {iteration + 1}/{iterations}: " + string.Join(", ", configurations.Select(c => $"{Short(c)} {thisRound[c].WallMs:F0} ms")));
                if (iteration < 0)
                {
                    continue;
                }

                foreach (Configuration configuration in configurations)
                {
                    samples[configuration].Add(thisRound[configuration]);
                    if (noOp is not null && configuration.Analyzer is not null)
                    {
                        overNoOp[configuration].Add(thisRound[configuration].WallMs - thisRound[noOp].WallMs);
                    }
                }
            }

            if (!_analyzerExceptions.IsEmpty)
            {
                throw new InvalidOperationException("An analyzer threw (AD0001):\n" + string.Join("\n", _analyzerExceptions.Distinct().Take(5)));
            }

            Dictionary<Configuration, Result> results = configurations.ToDictionary(c => c, c => new Result(c, samples[c], overNoOp[c]));
            if (noOp is not null)
            {
                foreach (Result result in results.Values.Where(r => r.Configuration.Analyzer is not null))
                {
                    result.SetNoOp(results[noOp]);
                }
            }

            return results;
        }

        private static string Short(Configuration configuration) => configuration.Name.Split(' ')[0];

        private Sample RunOnce(Corpus corpus, Configuration configuration)
        {
            // Start every run from the same heap: garbage of the previous configuration is not this one's to collect.
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);

            CSharpCompilation compilation = CSharpCompilation.Create("Bench", corpus.Trees, _references, _options);
            if (configuration.Analyzer is null)
            {
                TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;
                long allocated = GC.GetTotalAllocatedBytes(precise: true);
                var stopwatch = Stopwatch.StartNew();
                ImmutableArray<Diagnostic> diagnostics = compilation.GetDiagnostics();
                stopwatch.Stop();
                cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
                allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
                return new Sample(stopwatch.Elapsed.TotalMilliseconds, cpu.TotalMilliseconds, allocated / 1048576.0, 0, CountErrors(diagnostics), new Dictionary<string, int>());
            }

            return RunWithAnalyzer(compilation, configuration.Analyzer, configuration.Companion).GetAwaiter().GetResult();
        }

        private async Task<Sample> RunWithAnalyzer(CSharpCompilation compilation, DiagnosticAnalyzer analyzer, DiagnosticAnalyzer? companion)
        {
            // The no-op analyzer always runs: it is the driver every build has (the SDK's own analyzers, the compiler's),
            // so that "over the no-op analyzer" is what this analyzer adds to a build. It also makes the driver compile
            // the whole compilation in every configuration: an analyzer that registers no action (ours, gated off on
            // code without COM) would otherwise let CompilationWithAnalyzers skip compiling altogether.
            ImmutableArray<DiagnosticAnalyzer> analyzers = analyzer is NoOpAnalyzer
                ? ImmutableArray.Create(analyzer)
                : companion is null ? ImmutableArray.Create(_noOp, analyzer) : ImmutableArray.Create(_noOp, analyzer, companion);
            TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;
            long allocated = GC.GetTotalAllocatedBytes(precise: true);
            var stopwatch = Stopwatch.StartNew();
            CompilationWithAnalyzers withAnalyzers = compilation.WithAnalyzers(
                analyzers,
                new CompilationWithAnalyzersOptions(
                    _analyzerOptions,
                    onAnalyzerException: (exception, failed, _) => _analyzerExceptions.Enqueue(failed.GetType().Name + ": " + exception),
                    concurrentAnalysis: !_sequential,
                    logAnalyzerExecutionTime: true,
                    reportSuppressedDiagnostics: false));

            // The whole compilation at once, as a build does: the driver is attached to the compilation's event queue and
            // runs the analyzers while Compilation.GetDiagnostics binds every method body. Unlike GetAllDiagnosticsAsync,
            // this path keeps the per-analyzer execution time (what -p:ReportAnalyzer=true prints).
            AnalysisResult result = await withAnalyzers.GetAnalysisResultAsync(CancellationToken.None).ConfigureAwait(false);
            stopwatch.Stop();
            cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;

            AnalyzerTelemetryInfo telemetry = result.AnalyzerTelemetryInfo[analyzer];
            var reported = result.GetAllDiagnostics(analyzer)
                .GroupBy(d => d.Id, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            if (Verbose)
            {
                if (analyzer is CfgFloorAnalyzer floor)
                {
                    Console.Error.WriteLine($"    CFG floor: {floor.Graphs} graphs, {floor.Blocks} blocks");
                    floor.Reset();
                }

                foreach (Diagnostic diagnostic in result.GetAllDiagnostics(analyzer).Take(8))
                {
                    Console.Error.WriteLine("    " + diagnostic);
                }
            }

            foreach (Diagnostic diagnostic in result.GetAllDiagnostics())
            {
                if (diagnostic.Id == "AD0001")
                {
                    _analyzerExceptions.Enqueue(diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
                }
            }

            double companionMs = companion is null ? 0 : result.AnalyzerTelemetryInfo[companion].ExecutionTime.TotalMilliseconds;
            return new Sample(stopwatch.Elapsed.TotalMilliseconds, cpu.TotalMilliseconds, allocated / 1048576.0, telemetry.ExecutionTime.TotalMilliseconds, errors: 0, reported, companionMs);
        }

        private static int CountErrors(ImmutableArray<Diagnostic> diagnostics) =>
            diagnostics.Count(d => d.Severity == DiagnosticSeverity.Error);

        /// <summary>The compiler's errors for a corpus (it must have none: broken code takes other paths).</summary>
        public IEnumerable<Diagnostic> Errors(Corpus corpus) =>
            CSharpCompilation.Create("Check", corpus.Trees, _references, _options).GetDiagnostics()
                .Where(d => d.Severity == DiagnosticSeverity.Error);
    }
}
