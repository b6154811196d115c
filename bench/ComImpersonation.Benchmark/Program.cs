using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text;
using ComImpersonation.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ComImpersonation.Benchmark
{
    /// <summary>
    /// The performance benchmark and its budgets (docs/performance.md). Usage:
    /// <c>dotnet run -c Release --project bench/ComImpersonation.Benchmark [-- --quick] [--corpus a,b,c] [--markdown FILE]</c>.
    /// Exits with 1 when a budget is missed, 2 on bad arguments or a broken corpus.
    /// </summary>
    internal static class Program
    {
        private const double BudgetOrdinaryPercent = 1.0;     // (a) wall over no-op < 1% of compile time
        // (b) our wall time over the no-op analyzer ≤ ½ of CA2000's. (Callback time is not compared: CA2000 is handed its
        // operation trees by the driver, outside its callbacks, while ours builds its own inside them; SPEC §6.)
        private const double BudgetWallVsCa2000 = 0.5;
        private const double BudgetWallVsCfgFloor = 1.2;      // (b) our wall over no-op within 1.2x the CFG floor's
        private const double BudgetPerStatementGrowth = 2.0;  // (c) per-statement time at 10,000 within 2x of 1,000
        private const double BudgetRealPercent = 2.0;         // a real code base that uses the APIs here and there (NtCoreLib): ≤ 2%

        private static int Main(string[] args)
        {
            bool quick = args.Contains("--quick");
            string? markdownPath = ValueOf(args, "--markdown");
            string corpora = ValueOf(args, "--corpus") ?? "a,b,c";
            if (ValueOf(args, "--dump") is { } dumpDirectory)
            {
                Corpora.Dump(dumpDirectory, quick);
                return 0;
            }

            if (args.Contains("--help") || args.Contains("-h"))
            {
                Console.WriteLine("dotnet run -c Release --project bench/ComImpersonation.Benchmark [-- [--quick] [--corpus a,b,c] [--markdown FILE]]");
                return 0;
            }

            var culture = CultureInfo.InvariantCulture;
            CultureInfo.CurrentCulture = culture;
            CultureInfo.DefaultThreadCurrentCulture = culture;

            var report = new Report();
            if (ValueOf(args, "--profile") is null)
            {
                report.Machine(quick);
            }

            ImmutableArray<MetadataReference> references = References.Net(out string referenceDirectory);
            DiagnosticAnalyzer ca2000 = References.LoadCa2000(out string ca2000Directory);
            report.Note($"Reference assemblies: {referenceDirectory} ({references.Length} assemblies)");
            report.Note($"CA2000: {ca2000.GetType().FullName} from {ca2000Directory}");
            report.Note($"Roslyn (host and analyzer): Microsoft.CodeAnalysis.CSharp {typeof(CSharpCompilation).Assembly.GetName().Version}");

            var noOpAnalyzer = new NoOpAnalyzer();
            // --sequential (for profiling): one thread compiles and analyses, so timings vary less from run to run.
            var measurement = new Measurement(references, noOpAnalyzer, sequential: args.Contains("--sequential")) { Verbose = args.Contains("--verbose") };
            var noOp = Configuration.With("no-op analyzer", noOpAnalyzer);
            var cfgFloor = Configuration.With("CFG floor", new CfgFloorAnalyzer());
            var ours = Configuration.With("ours (ImpersonationAnalyzer)", new ImpersonationAnalyzer());
            var peer = Configuration.With("CA2000", ca2000);
            var all = new[] { Configuration.CompileOnly, noOp, cfgFloor, ours, peer };
            // Beside the five: a graph per method built as ours builds it (inside a code-block action), and ours in the
            // same compilation as CA2000, which is what -p:ReportAnalyzer=true shows for a build that enables both.
            var blockCfg = Configuration.With("block-CFG (a graph per method, built as ours builds it)", new CodeBlockCfgAnalyzer());
            var beside = Configuration.Beside("ours beside CA2000 (one compilation)", new ImpersonationAnalyzer(), ca2000);

            // CA2000's large assembly needs a few runs before its code is fully jitted; so does ours, less so.
            int warmUps = quick ? 1 : 3;
            void Progress(string line) => Console.Error.WriteLine(line);

            // --profile NAME: run one configuration over and over (for a profiler to watch), report nothing.
            if (ValueOf(args, "--profile") is { } profiled)
            {
                Configuration[] extra = Stages().Prepend(blockCfg).ToArray();
                Configuration chosen = all.Concat(extra).First(c => c.Name.StartsWith(profiled, StringComparison.OrdinalIgnoreCase));
                int repeat = int.Parse(ValueOf(args, "--iterations") ?? "10", CultureInfo.InvariantCulture);
                var selected = new List<Corpus>();
                if (corpora.Contains('a', StringComparison.Ordinal))
                {
                    selected.Add(Corpora.Ordinary(quick ? 300 : 1000));
                }

                if (corpora.Contains('b', StringComparison.Ordinal))
                {
                    selected.Add(Corpora.Com(quick ? 40 : 120, 5));
                }

                if (corpora.Contains('c', StringComparison.Ordinal))
                {
                    selected.Add(Corpora.BigMethod(int.Parse(ValueOf(args, "--statements") ?? "10000", CultureInfo.InvariantCulture)));
                }

                if (corpora.Contains('m', StringComparison.Ordinal))
                {
                    selected.Add(Corpora.Mixed(Corpora.Ordinary(quick ? 300 : 1000), Corpora.Com(quick ? 4 : 12, 5)));
                }

                foreach (Corpus corpus in selected)
                {
                    Result result = measurement.Run(corpus, new[] { chosen }, 1, repeat, Progress)[chosen];
                    Console.WriteLine($"{corpus.Name}, {chosen.Name}: wall {result.WallMs:F1} ms, CPU {result.CpuMs:F1} ms, allocated {result.AllocatedMB:F1} MB, callback {result.CallbackMs:F1} ms");
                }

                return 0;
            }

            // --real NAME: a real code base from the shared corpora (docs/performance.md): in process, with the breakdown, and
            // the Csc task time of real builds with and without the analyzer.
            if (ValueOf(args, "--real") is { } realName)
            {
                int code = RunReal(realName, args, report, noOpAnalyzer, ours, Progress, quick);
                string realText = report.Finish(Command(args));
                Console.WriteLine(realText);
                if (markdownPath is not null)
                {
                    File.WriteAllText(markdownPath, realText);
                }

                foreach (string missed in report.Missed)
                {
                    Console.Error.WriteLine("BUDGET MISSED: " + missed);
                }

                return code != 0 ? code : report.Missed.Count == 0 ? 0 : 1;
            }

            // --stages: where ours spends its time, stage by stage, beside the baselines (on (b) unless --corpus says).
            if (args.Contains("--stages"))
            {
                Corpus corpus = corpora.Contains('a', StringComparison.Ordinal) && !corpora.Contains('b', StringComparison.Ordinal)
                    ? Corpora.Ordinary(quick ? 300 : 1000)
                    : Corpora.Com(quick ? 40 : 120, 5);
                var staged = new List<Configuration> { Configuration.CompileOnly, noOp, cfgFloor };
                staged.Add(blockCfg);
                staged.AddRange(Stages());
                staged.Add(ours);
                staged.Add(peer);
                staged.Add(beside);
                Dictionary<Configuration, Result> results = measurement.Run(corpus, staged, warmUps, int.Parse(ValueOf(args, "--iterations") ?? (quick ? "3" : "7"), CultureInfo.InvariantCulture), Progress);
                report.Stages(corpus, results);
                Console.WriteLine(report.Finish(Command(args)));
                return 0;
            }

            try
            {
                if (corpora.Contains('a', StringComparison.Ordinal))
                {
                    Corpus corpus = Corpora.Ordinary(files: quick ? 300 : 1000);
                    CheckCompiles(measurement, corpus);
                    Progress($"{corpus.Name}: {Corpora.Describe(corpus).First()}");
                    Dictionary<Configuration, Result> results = measurement.Run(corpus, all, warmUps, quick ? 3 : 11, Progress);
                    report.Ordinary(corpus, results, noOp, ours);
                }

                if (corpora.Contains('b', StringComparison.Ordinal))
                {
                    Corpus corpus = Corpora.Com(files: quick ? 40 : 120, methodsPerFile: 5);
                    CheckCompiles(measurement, corpus);
                    Progress($"{corpus.Name}: {Corpora.Describe(corpus).First()}");
                    Dictionary<Configuration, Result> results = measurement.Run(corpus, all.Concat(new[] { blockCfg, beside }).ToList(), warmUps, quick ? 3 : 11, Progress);
                    report.Com(corpus, results, noOp, cfgFloor, ours, peer, blockCfg, beside);
                }

                if (corpora.Contains('c', StringComparison.Ordinal))
                {
                    var rows = new List<(Corpus Corpus, Dictionary<Configuration, Result> Results)>();
                    foreach (int statements in new[] { 100, 1_000, 10_000 })
                    {
                        Corpus corpus = Corpora.BigMethod(statements);
                        CheckCompiles(measurement, corpus);
                        Progress($"{corpus.Name}: {Corpora.Describe(corpus).First()}");
                        rows.Add((corpus, measurement.Run(corpus, new[] { Configuration.CompileOnly, noOp, cfgFloor, ours, blockCfg }, warmUps, quick ? 3 : 7, Progress)));
                    }

                    report.BigMethods(rows, noOp, cfgFloor, ours, blockCfg);
                }
            }
            catch (CorpusException e)
            {
                Console.Error.WriteLine(e.Message);
                return 2;
            }

            string text = report.Finish(Command(args));
            Console.WriteLine(text);
            if (markdownPath is not null)
            {
                File.WriteAllText(markdownPath, text);
            }

            foreach (string missed in report.Missed)
            {
                Console.Error.WriteLine("BUDGET MISSED: " + missed);
            }

            return report.Missed.Count == 0 ? 0 : 1;
        }

        private static int RunReal(string name, string[] args, Report report, NoOpAnalyzer noOpAnalyzer, Configuration ours, Action<string> progress, bool quick)
        {
            string corpora = ValueOf(args, "--corpora") ?? FindCorpora()
                ?? throw new DirectoryNotFoundException("No shared corpora folder (../shared/corpora from the repository); give one with --corpora DIR.");
            using RealProject project = RealProject.Prepare(name, corpora, progress);
            Corpus corpus = project.Corpus;
            progress($"{corpus.Name}: {Corpora.Describe(corpus).First()}");
            var measurement = new Measurement(project.References, project.CompilationOptions, noOpAnalyzer, sequential: args.Contains("--sequential"));
            Diagnostic[] errors = measurement.Errors(corpus).Take(5).ToArray();
            if (errors.Length > 0)
            {
                Console.Error.WriteLine($"{corpus.Name} does not compile in process:\n" + string.Join("\n", errors.Select(e => e.ToString())));
                return 2;
            }

            // Ours, with its callbacks' thread CPU time summed (what the breakdown's stages are subtracted from).
            var timed = new CpuTimedAnalyzer(new ImpersonationAnalyzer());
            ours = Configuration.With("ours (ImpersonationAnalyzer)", timed);
            var breakdownAnalyzer = new BreakdownAnalyzer();
            var breakdown = Configuration.With("breakdown (gate, index, pre-check, graphs, timed)", breakdownAnalyzer);
            var noOp = Configuration.With("no-op analyzer", noOpAnalyzer);
            int iterations = int.Parse(ValueOf(args, "--iterations") ?? (quick ? "3" : "7"), CultureInfo.InvariantCulture);
            Dictionary<Configuration, Result> results = measurement.Run(corpus, new[] { Configuration.CompileOnly, noOp, ours, breakdown }, 1, iterations, progress);
            BreakdownAnalyzer.Snapshot figures = breakdownAnalyzer.Take();
            double oursCpuMs = timed.TakeMs();

            var pairs = new List<RealBuildRound>();
            if (!args.Contains("--no-build"))
            {
                string analyzer = typeof(ImpersonationAnalyzer).Assembly.Location;
                string driverOnly = typeof(ComImpersonation.NoOpAnalyzer.DriverOnlyAnalyzer).Assembly.Location;
                pairs = project.BuildRounds(analyzer, driverOnly, int.Parse(ValueOf(args, "--pairs") ?? (quick ? "2" : "5"), CultureInfo.InvariantCulture));
            }

            report.Real(corpus, results, ours, figures, oursCpuMs, pairs);
            return 0;
        }

        /// <summary>The shared corpora folder: ../shared/corpora beside the repository (or its worktree), or under the working folder's parents.</summary>
        private static string? FindCorpora()
        {
            foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            {
                for (DirectoryInfo? directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
                {
                    string candidate = Path.Combine(directory.FullName, "shared", "corpora");
                    if (Directory.Exists(candidate))
                    {
                        return candidate;
                    }
                }
            }

            return null;
        }

        /// <summary>Ours cut off after each stage, and the graphs built the way ours builds them (for --stages and --profile).</summary>
        private static Configuration[] Stages() => new[]
        {
            Configuration.With("stage 1: ours, gate only", new StageAnalyzer(1)),
            Configuration.With("stage 2: ours, gate + pre-check", new StageAnalyzer(2)),
            Configuration.With("stage 3: ours, + graphs", new StageAnalyzer(3)),
            Configuration.With("stage 4: ours, + body models", new StageAnalyzer(4)),
        };

        private static string Command(string[] args) =>
            "dotnet run -c Release --project bench/ComImpersonation.Benchmark" + (args.Length == 0 ? "" : " -- " + string.Join(" ", args));

        private static void CheckCompiles(Measurement measurement, Corpus corpus)
        {
            Diagnostic[] errors = measurement.Errors(corpus).Take(5).ToArray();
            if (errors.Length > 0)
            {
                throw new CorpusException($"The generated corpus {corpus.Name} does not compile:\n" + string.Join("\n", errors.Select(e => e.ToString())));
            }
        }

        private static string? ValueOf(string[] args, string name)
        {
            int index = Array.IndexOf(args, name);
            return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
        }

        private sealed class CorpusException : Exception
        {
            public CorpusException(string message)
                : base(message)
            {
            }
        }

        /// <summary>Builds the figures as Markdown (printed, and written with --markdown) and checks the budgets.</summary>
        private sealed class Report
        {
            private readonly StringBuilder _text = new StringBuilder();
            private readonly List<string> _budgets = new List<string>();

            public List<string> Missed { get; } = new List<string>();

            public void Machine(bool quick)
            {
                _text.AppendLine("### Machine").AppendLine();
                _text.AppendLine($"- CPU: {CpuModel()}, {Environment.ProcessorCount} logical processors (`nproc`)");
                _text.AppendLine($"- OS: {OsName()}");
                _text.AppendLine($"- .NET: runtime {RuntimeInformation.FrameworkDescription}, SDK {SdkVersion()}");
                _text.AppendLine($"- GC: {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}, non-concurrent");
                _text.AppendLine($"- Run: {(quick ? "--quick (short, indicative only)" : "full")}, {DateTime.UtcNow:yyyy-MM-dd}; load average at start: {LoadAverage()}");
            }

            public void Note(string line) => _text.AppendLine($"- {line}");

            public void Ordinary(Corpus corpus, Dictionary<Configuration, Result> results, Configuration noOp, Configuration ours)
            {
                double compile = CompileMs(results);
                Table(corpus, results, compile);
                Result our = results[ours];
                double bestCompile = BestCompileMs(results);
                double percent = 100 * our.BestOverNoOpMs / bestCompile;
                Budget(
                    "(a) ordinary code: our wall time over the no-op analyzer ≤ 1% of compile time (fastest runs)",
                    $"{our.BestOverNoOpMs:F1} ms = {percent:F2}% of {bestCompile:F0} ms (medians: {our.OverNoOpMs:F1} ms = {100 * our.OverNoOpMs / compile:F2}% of {compile:F0} ms)",
                    percent <= BudgetOrdinaryPercent);
                if (our.Diagnostics.Values.Sum() != 0)
                {
                    Missed.Add($"(a) ours reported {our.Diagnostics.Values.Sum()} diagnostics on code without COM");
                }
            }

            public void Com(Corpus corpus, Dictionary<Configuration, Result> results, Configuration noOp, Configuration cfgFloor, Configuration ours, Configuration peer, Configuration blockCfg, Configuration beside)
            {
                double compile = CompileMs(results);
                Table(corpus, results, compile);
                Result our = results[ours];
                Result ca2000 = results[peer];
                Result floor = results[cfgFloor];
                double callbackRatio = our.BestCallbackMs / ca2000.BestCallbackMs;
                double wallRatio = our.BestOverNoOpMs / floor.BestOverNoOpMs;
                _text.AppendLine($"- ours / CA2000, wall time over the no-op analyzer (fastest runs): **{our.BestOverNoOpMs / ca2000.BestOverNoOpMs:F2}**; medians: {our.OverNoOpMs / ca2000.OverNoOpMs:F2}");
                _text.AppendLine($"- for reference, ours / CA2000, callback time (least of the runs): {callbackRatio:F3} ({our.BestCallbackMs:F0} ms / {ca2000.BestCallbackMs:F0} ms); medians: {our.CallbackMs / ca2000.CallbackMs:F3} ({our.CallbackMs:F0} ms / {ca2000.CallbackMs:F0} ms)");
                _text.AppendLine($"- ours / CFG floor, wall time over the no-op analyzer (fastest runs): **{wallRatio:F2}** ({our.BestOverNoOpMs:F0} ms / {floor.BestOverNoOpMs:F0} ms); medians: {our.OverNoOpMs / floor.OverNoOpMs:F2} ({our.OverNoOpMs:F0} ms / {floor.OverNoOpMs:F0} ms)");
                _text.AppendLine($"- ours / CFG floor, total wall time: {our.WallMs / floor.WallMs:F2}");
                _text.AppendLine($"- for reference, CFG floor / CA2000, callback time: {floor.CallbackMs / ca2000.CallbackMs:F3} (building the graphs alone; the floor gets its operation trees from the driver, outside its callbacks, as CA2000 does, while ours builds them inside its own)");
                Result block = results[blockCfg];
                Result both = results[beside];
                _text.AppendLine($"- for reference, block-CFG / CA2000, callback time: {block.CallbackMs / ca2000.CallbackMs:F3} (binding each method, its operation tree and its graph inside a code-block action, as ours does, and nothing else); ours / block-CFG: {our.CallbackMs / block.CallbackMs:F2}");
                _text.AppendLine($"- for reference, ours beside CA2000 in one compilation, callback time: {both.CallbackMs / both.CompanionCallbackMs:F3} ({both.CallbackMs:F0} ms / {both.CompanionCallbackMs:F0} ms); wall time it adds to CA2000's: {both.WallMs - ca2000.WallMs:F0} ms");
                _text.AppendLine($"- ours: {Describe(our.Diagnostics)} on {corpus.SeededDefects} methods written with a defect; CA2000: {Describe(ca2000.Diagnostics)}");
                _text.AppendLine();
                double peerRatio = our.BestOverNoOpMs / ca2000.BestOverNoOpMs;
                Budget(
                    "(b) COM code: our wall time over the no-op analyzer ≤ ½ of CA2000's (fastest runs)",
                    $"ratio {peerRatio:F2} ({our.BestOverNoOpMs:F0} ms / {ca2000.BestOverNoOpMs:F0} ms; medians: {our.OverNoOpMs / ca2000.OverNoOpMs:F2}, {our.OverNoOpMs:F0} ms / {ca2000.OverNoOpMs:F0} ms)",
                    WithinRatio(our.BestOverNoOpMs, ca2000.BestOverNoOpMs, BudgetWallVsCa2000));
                Budget(
                    "(b) COM code: our wall time over the no-op analyzer ≤ 1.2x the CFG floor's (fastest runs)",
                    $"ratio {wallRatio:F2} ({our.BestOverNoOpMs:F0} ms / {floor.BestOverNoOpMs:F0} ms; medians: {our.OverNoOpMs / floor.OverNoOpMs:F2})",
                    WithinRatio(our.BestOverNoOpMs, floor.BestOverNoOpMs, BudgetWallVsCfgFloor));
                if (corpus.SeededDefects > 0 && our.Diagnostics.Values.Sum() == 0)
                {
                    Missed.Add("(b) ours reported nothing on the methods written with a defect: it did not run");
                }
            }

            /// <summary>
            /// ours ≤ ratio × theirs, for differences over the no-op analyzer that noise can make negative: ours at or
            /// below zero holds; theirs at or below zero with ours above it does not (a ratio of two negatives says nothing).
            /// </summary>
            private static bool WithinRatio(double ours, double theirs, double ratio) =>
                ours <= 0 || (theirs > 0 && ours <= ratio * theirs);

            public void BigMethods(List<(Corpus Corpus, Dictionary<Configuration, Result> Results)> rows, Configuration noOp, Configuration cfgFloor, Configuration ours, Configuration blockCfg)
            {
                _text.AppendLine().AppendLine("### (c) One method of N statements").AppendLine();
                _text.AppendLine("| Statements | Compile (ms) | Ours: least callback (ms) | Ours: least callback per statement (µs) | Ours: wall over no-op (ms) | per statement (µs) | CFG floor: wall over no-op per statement (µs) | block-CFG: least callback per statement (µs) | Ours: diagnostics |");
                _text.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---|");
                var perStatement = new Dictionary<int, double>();
                var blockPerStatement = new Dictionary<int, double>();
                var medianPerStatement = new Dictionary<int, double>();
                var wallPerStatement = new Dictionary<int, double>();
                var floorPerStatement = new Dictionary<int, double>();
                foreach ((Corpus corpus, Dictionary<Configuration, Result> results) in rows)
                {
                    Result our = results[ours];
                    Result floor = results[cfgFloor];
                    int n = corpus.Statements;
                    double callbackPer = 1000 * our.BestCallbackMs / n;
                    medianPerStatement[Nominal(n)] = 1000 * our.CallbackMs / n;
                    double wallPer = 1000 * our.OverNoOpMs / n;
                    perStatement[Nominal(n)] = callbackPer;
                    wallPerStatement[Nominal(n)] = wallPer;
                    floorPerStatement[Nominal(n)] = 1000 * floor.OverNoOpMs / n;
                    blockPerStatement[Nominal(n)] = 1000 * results[blockCfg].BestCallbackMs / n;
                    if (!our.Diagnostics.ContainsKey("COMIMP003"))
                    {
                        Missed.Add($"(c) {n:N0} statements: the defect at the end of the method was not reported (the analysis gave up)");
                    }

                    _text.AppendLine($"| {n:N0} | {CompileMs(results):F0} | {our.BestCallbackMs:F1} | {callbackPer:F2} | {our.OverNoOpMs:F1} | {wallPer:F2} | {1000 * floor.OverNoOpMs / n:F2} | {blockPerStatement[Nominal(n)]:F2} | {Describe(our.Diagnostics)} |");
                }

                _text.AppendLine();
                if (perStatement.TryGetValue(1_000, out double at1k) && perStatement.TryGetValue(10_000, out double at10k))
                {
                    double growth = at10k / at1k;
                    _text.AppendLine($"- least callback time per statement, 10,000 / 1,000: **{growth:F2}** (medians: {medianPerStatement[10_000] / medianPerStatement[1_000]:F2}); wall over no-op per statement, 10,000 / 1,000: {wallPerStatement[10_000] / wallPerStatement[1_000]:F2}; the CFG floor's wall over no-op per statement, 10,000 / 1,000: {floorPerStatement[10_000] / floorPerStatement[1_000]:F2}; block-CFG's least callback per statement (Roslyn binding the method and building its graph, nothing of ours), 10,000 / 1,000: {blockPerStatement[10_000] / blockPerStatement[1_000]:F2}");
                    _text.AppendLine();
                    Budget(
                        "(c) one big method: our time per statement at 10,000 statements within 2x of that at 1,000 (least callback of the runs)",
                        $"ratio {growth:F2} ({at10k:F2} µs / {at1k:F2} µs)",
                        growth <= BudgetPerStatementGrowth);
                }
            }

            public void Real(Corpus corpus, Dictionary<Configuration, Result> results, Configuration ours, BreakdownAnalyzer.Snapshot figures, double oursCpuMs, List<RealBuildRound> pairs)
            {
                double compile = CompileMs(results);
                double bestCompile = BestCompileMs(results);
                Table(corpus, results, compile);
                Result our = results[ours];
                double percent = 100 * our.BestOverNoOpMs / bestCompile;

                string clock = ThreadCpu.IsCpuTime ? "thread CPU time" : "wall time";
                _text.AppendLine($"Where ours spends its time ({clock} in callbacks, mean of {figures.Compilations} compilations; ours' callbacks: {oursCpuMs:F1} ms = {100 * oursCpuMs / bestCompile:F2}% of the fastest compile; the breakdown analyzer runs the same code as ours stage by stage):").AppendLine();
                _text.AppendLine($"- gate (`ApiModel.TryCreate`): {figures.GateMs:F1} ms; {(figures.GatePassed ? "passed" : "closed: nothing registered")}");
                if (figures.GatePassed)
                {
                    _text.AppendLine($"- wrapper-name index (built at compilation start here; ours builds it on the first block that needs it): {figures.IndexMs:F1} ms; {figures.Index.Names:N0} names besides the API model's candidates; {figures.Index.Trees:N0} of {figures.Index.AllTrees:N0} trees mention a name of it (code in the others is not walked)" + (figures.Index.Names == 0 ? "" : $"; names: {figures.Index.Sample}{(figures.Index.Names > 30 ? ", …" : "")}"));
                    _text.AppendLine($"- pre-check of {figures.Blocks:N0} code blocks: {figures.PreCheckMs:F1} ms ({1000 * figures.PreCheckMs / Math.Max(1, figures.Blocks):F1} µs per block)");
                    long passed = figures.Blocks - figures.Reasons[Analyzers.Analysis.PreCheckReason.None];
                    _text.AppendLine($"- blocks that pass the pre-check: {passed:N0}" + (passed == 0 ? "" : ", by reason: " + string.Join(", ", figures.Reasons.Where(r => r.Key != Analyzers.Analysis.PreCheckReason.None && r.Value > 0).OrderByDescending(r => r.Value).Select(r => $"{r.Key} {r.Value:N0}"))));
                    _text.AppendLine($"- graphs built for them (operation tree and control-flow graph, as ours builds them): {figures.Graphs:N0}, {figures.GraphMs:F1} ms");
                    double rest = oursCpuMs - figures.GateMs - figures.IndexMs - figures.PreCheckMs - figures.GraphMs;
                    _text.AppendLine($"- analysis (ours' {oursCpuMs:F1} ms less the above: body models, fixed points, rules, callees' summaries): {rest:F1} ms");
                }

                _text.AppendLine();
                Budget(
                    $"{corpus.Name.Split(' ')[0]}, in process: our wall time over the no-op analyzer ≤ 2% of compile time (fastest runs)",
                    $"{our.BestOverNoOpMs:F1} ms = {percent:F2}% of {bestCompile:F0} ms (medians: {our.OverNoOpMs:F1} ms = {100 * our.OverNoOpMs / compile:F2}% of {compile:F0} ms)",
                    percent <= BudgetRealPercent);
                if (pairs.Count == 0)
                {
                    return;
                }

                _text.AppendLine("Real builds (`dotnet build -f … -c Release --no-incremental --no-restore -clp:PerformanceSummary`; the Csc task's time), rotating without an analyzer, with an analyzer that registers what ours does and does nothing (`bench/ComImpersonation.NoOpAnalyzer`), and with ours. The project runs no analyzer of its own, so the second column is what the compiler's analyzer driver costs any analyzer:").AppendLine();
                _text.AppendLine("| Round | Csc without (ms) | do-nothing analyzer (ms) | ours (ms) | ours added | do-nothing added | ours over do-nothing | Load average |");
                _text.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---|");
                for (int i = 0; i < pairs.Count; i++)
                {
                    RealBuildRound round = pairs[i];
                    _text.AppendLine($"| {i + 1} | {round.Without:F0} | {round.DriverOnly:F0} | {round.With:F0} | {round.AddedPercent:+0.0;-0.0}% | {round.DriverOnlyPercent:+0.0;-0.0}% | {round.OverDriverOnlyPercent:+0.0;-0.0}% | {round.Load} |");
                }

                double medianAdded = Result.Median(pairs.Select(p => p.AddedPercent));
                double medianDriver = Result.Median(pairs.Select(p => p.DriverOnlyPercent));
                double medianOverDriver = Result.Median(pairs.Select(p => p.OverDriverOnlyPercent));
                double fastestWithout = pairs.Min(p => p.Without);
                double fastestWith = pairs.Min(p => p.With);
                double fastestDriver = pairs.Min(p => p.DriverOnly);
                double fastestAdded = 100 * (fastestWith - fastestWithout) / fastestWithout;
                _text.AppendLine();
                _text.AppendLine($"- medians of the rounds: ours adds **{medianAdded:+0.0;-0.0}%**; the do-nothing analyzer adds {medianDriver:+0.0;-0.0}%; ours over it {medianOverDriver:+0.0;-0.0}% of the build without; fastest runs: {fastestWithout:F0} ms without, {fastestDriver:F0} ms do-nothing, {fastestWith:F0} ms ours ({fastestAdded:+0.0;-0.0}%)");
                _text.AppendLine();
                Budget(
                    $"{corpus.Name.Split(' ')[0]}, real build: Csc time added ≤ 2% (median of {pairs.Count} rounds)",
                    $"{medianAdded:+0.0;-0.0}% (fastest runs: {fastestAdded:+0.0;-0.0}%; of which the analyzer driver, for any analyzer: {medianDriver:+0.0;-0.0}%)",
                    medianAdded <= BudgetRealPercent);
            }

            public void Stages(Corpus corpus, Dictionary<Configuration, Result> results)
            {
                Table(corpus, results, CompileMs(results));
                foreach (Result result in results.Values.Where(r => r.Configuration.Companion is not null))
                {
                    _text.AppendLine($"- {result.Configuration.Name}: callback {result.CallbackMs:F1} ms, companion's callback {result.CompanionCallbackMs:F1} ms, ratio {result.CallbackMs / result.CompanionCallbackMs:F3}");
                }
            }

            private static int Nominal(int statements) => statements < 500 ? 100 : statements < 5000 ? 1_000 : 10_000;

            public string Finish(string command)
            {
                _text.AppendLine().AppendLine("### Budgets").AppendLine();
                foreach (string line in _budgets)
                {
                    _text.AppendLine(line);
                }

                _text.AppendLine().AppendLine($"Load average at the end: {LoadAverage()}. Reproduce: `{command}`");
                return _text.ToString();
            }

            private void Budget(string name, string figure, bool holds)
            {
                _budgets.Add($"- {name}: {figure} — **{(holds ? "holds" : "MISSED")}**");
                if (!holds)
                {
                    Missed.Add($"{name}: {figure}");
                }
            }

            private void Table(Corpus corpus, Dictionary<Configuration, Result> results, double compile)
            {
                _text.AppendLine().AppendLine($"### {corpus.Name}").AppendLine();
                _text.AppendLine($"{Corpora.Describe(corpus).First()}; medians of {results.Values.First().Samples.Count} iterations.").AppendLine();
                _text.AppendLine("| Configuration | Wall (ms) | Wall over no-op (ms) | … % of compile | Fastest wall (ms) | Fastest over no-op (ms) | Callback (ms) | … % of compile | CPU (ms) | Allocated (MB) | Diagnostics |");
                _text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
                foreach ((Configuration configuration, Result result) in results)
                {
                    if (configuration.Analyzer is null)
                    {
                        _text.AppendLine($"| {configuration.Name} | {result.WallMs:F0} | | | {result.BestWallMs:F0} | | | | {result.CpuMs:F0} | {result.AllocatedMB:F0} | |");
                        continue;
                    }

                    _text.AppendLine($"| {configuration.Name} | {result.WallMs:F0} | {result.OverNoOpMs:F1} | {100 * result.OverNoOpMs / compile:F2}% | {result.BestWallMs:F0} | {result.BestOverNoOpMs:F1} | {result.CallbackMs:F1} | {100 * result.CallbackMs / compile:F2}% | {result.CpuMs:F0} | {result.AllocatedMB:F0} | {Describe(result.Diagnostics)} |");
                }

                _text.AppendLine();
            }

            private static double CompileMs(Dictionary<Configuration, Result> results) =>
                results.First(r => r.Key.Analyzer is null).Value.WallMs;

            private static double BestCompileMs(Dictionary<Configuration, Result> results) =>
                results.First(r => r.Key.Analyzer is null).Value.BestWallMs;

            private static string Describe(IReadOnlyDictionary<string, int> diagnostics) =>
                diagnostics.Count == 0 ? "none" : string.Join(", ", diagnostics.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Value} {p.Key}"));

            /// <summary>/proc/loadavg's first three figures: other work on the machine makes every wall time longer.</summary>
            private static string LoadAverage()
            {
                try
                {
                    return File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
                }
                catch (IOException)
                {
                    return "unknown";
                }
            }

            private static string CpuModel()
            {
                try
                {
                    string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
                    return line is null ? RuntimeInformation.ProcessArchitecture.ToString() : line.Substring(line.IndexOf(':', StringComparison.Ordinal) + 1).Trim();
                }
                catch (IOException)
                {
                    return RuntimeInformation.ProcessArchitecture.ToString();
                }
            }

            private static string OsName()
            {
                try
                {
                    string? pretty = File.Exists("/etc/os-release")
                        ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))
                        : null;
                    string name = pretty is null ? RuntimeInformation.OSDescription : pretty.Substring("PRETTY_NAME=".Length).Trim('"');
                    return name + " (" + RuntimeInformation.OSDescription + ")";
                }
                catch (IOException)
                {
                    return RuntimeInformation.OSDescription;
                }
            }

            private static string SdkVersion()
            {
                try
                {
                    using var process = Process.Start(new ProcessStartInfo("dotnet", "--version")
                    {
                        RedirectStandardOutput = true,
                        RedirectStandardInput = true,
                        UseShellExecute = false,
                    });
                    process!.StandardInput.Close();
                    if (!process.WaitForExit(30_000))
                    {
                        process.Kill();
                        return "unknown";
                    }

                    string output = process.StandardOutput.ReadToEnd().Trim();
                    return output.Length == 0 ? "unknown" : output;
                }
                catch (System.ComponentModel.Win32Exception)
                {
                    return "unknown";
                }
            }
        }
    }
}
