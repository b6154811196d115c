using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Formats.Tar;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ComImpersonation.Benchmark
{
    /// <summary>
    /// A real code base from the shared corpora folder (../shared/corpora; docs/performance.md): extracted to a
    /// temporary folder (never into the repository), built once the way a user builds it (which restores its packages),
    /// then compiled in this process from the same inputs MSBuild gives the compiler, and built again with and without
    /// the analyzer for the Csc task time of a real build.
    /// </summary>
    internal sealed class RealProject : IDisposable
    {
        /// <summary>The real code bases the benchmark knows: tarball prefix, project folder in it, target framework.</summary>
        private static readonly Dictionary<string, (string Tarball, string Project, string Framework)> Known = new Dictionary<string, (string, string, string)>(StringComparer.OrdinalIgnoreCase)
        {
            ["ntcorelib"] = ("ntcorelib-", "NtCoreLib", "netstandard2.0"),
        };

        private readonly Action<string> _progress;

        private RealProject(string name, string root, string project, string framework, Action<string> progress)
        {
            Name = name;
            Root = root;
            ProjectDirectory = project;
            Framework = framework;
            _progress = progress;
        }

        public string Name { get; }

        /// <summary>The temporary folder the tarball was extracted to (deleted by <see cref="Dispose"/>).</summary>
        public string Root { get; }

        public string ProjectDirectory { get; }

        public string Framework { get; }

        public string Tarball { get; private set; } = "";

        public Corpus Corpus { get; private set; } = null!;

        public ImmutableArray<MetadataReference> References { get; private set; }

        public CSharpCompilationOptions CompilationOptions { get; private set; } = null!;

        /// <summary>Extracts <paramref name="name"/>'s tarball from <paramref name="corporaDirectory"/>, restores and builds it once, reads its compiler inputs.</summary>
        public static RealProject Prepare(string name, string corporaDirectory, Action<string> progress)
        {
            if (!Known.TryGetValue(name, out var known))
            {
                throw new ArgumentException($"Unknown real code base '{name}' (known: {string.Join(", ", Known.Keys)}).");
            }

            string tarball = Directory.GetFiles(corporaDirectory, known.Tarball + "*.tar.gz").OrderBy(f => f, StringComparer.Ordinal).FirstOrDefault()
                ?? throw new FileNotFoundException($"No {known.Tarball}*.tar.gz in {corporaDirectory}");
            string root = Path.Combine(Path.GetTempPath(), "comimp-bench-" + name.ToLowerInvariant() + "-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            Directory.CreateDirectory(root);
            progress($"{name}: extracting {tarball} to {root}");
            using (FileStream file = File.OpenRead(tarball))
            using (var gzip = new GZipStream(file, CompressionMode.Decompress))
            {
                TarFile.ExtractToDirectory(gzip, root, overwriteFiles: false);
            }

            var project = new RealProject(name, root, Path.Combine(root, known.Project), known.Framework, progress) { Tarball = tarball };

            // The analyzer goes into a build through this file only when the build asks for it (-p:ComImpBenchAnalyzer=path).
            File.WriteAllText(Path.Combine(root, "Directory.Build.props"), """
                <Project>
                  <ItemGroup Condition="'$(ComImpBenchAnalyzer)' != ''">
                    <Analyzer Include="$(ComImpBenchAnalyzer)" />
                  </ItemGroup>
                </Project>
                """);

            progress($"{name}: restoring and building once (dotnet build -f {known.Framework} -c Release)");
            project.Build(analyzer: null, restore: true, extra: "");
            project.ReadCompilerInputs();
            return project;
        }

        /// <summary>
        /// One build of the project, compiling everything again (--no-incremental), with or without the analyzer; returns the
        /// Csc task's time from MSBuild's performance summary and the build's whole output.
        /// </summary>
        public (double CscMs, string Output) Build(string? analyzer, bool restore = false, string extra = "")
        {
            string arguments = $"build \"{ProjectDirectory}\" -f {Framework} -c Release --no-incremental -nologo -clp:PerformanceSummary"
                + (restore ? "" : " --no-restore")
                + (analyzer is null ? "" : $" \"-p:ComImpBenchAnalyzer={analyzer}\"")
                + (extra.Length == 0 ? "" : " " + extra);
            string output = Run("dotnet", arguments, Root);
            Match match = Regex.Match(output, @"^\s*(\d+) ms\s+Csc\s+\d+ calls", RegexOptions.Multiline);
            if (!match.Success)
            {
                throw new InvalidOperationException($"No Csc time in the output of dotnet {arguments}:\n{Tail(output)}");
            }

            return (double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), output);
        }

        /// <summary>
        /// Real builds rotating without an analyzer, with <paramref name="driverOnlyAssembly"/> (an analyzer that does
        /// nothing) and with <paramref name="analyzerAssembly"/> (copies in the temporary folder), one warm-up round
        /// first; the order rotates too, so that drift spreads evenly. The project runs no analyzer of its own, so the
        /// do-nothing analyzer shows what the compiler's analyzer driver costs any analyzer, and ours over it what our
        /// code costs.
        /// </summary>
        public List<RealBuildRound> BuildRounds(string analyzerAssembly, string driverOnlyAssembly, int rounds)
        {
            string analyzer = CopyToRoot(analyzerAssembly, "analyzer");
            string driverOnly = CopyToRoot(driverOnlyAssembly, "driver-only");

            // That the analyzer really runs in the builds that name it: ReportAnalyzer prints its callback time.
            // (MSBuild shows the compiler's analyzer report at detailed verbosity; CS8034 says an analyzer failed to load.)
            (_, string reported) = Build(analyzer, extra: "-p:ReportAnalyzer=true -v:d");
            string? line = reported.Split('\n').FirstOrDefault(l => l.Contains("ComImpersonation.Analyzers.ImpersonationAnalyzer", StringComparison.Ordinal));
            if (line is null || reported.Contains("CS8034", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("The analyzer did not run in the build that names it:\n" + Tail(reported));
            }

            _progress($"  analyzer in a real build (-p:ReportAnalyzer=true, untimed): {line.Trim()}");
            Build(null);
            Build(driverOnly);
            var results = new List<RealBuildRound>();
            for (int round = 0; round < rounds; round++)
            {
                string load = LoadAverage();
                var times = new double[3];
                string?[] configurations = { null, driverOnly, analyzer };
                for (int step = 0; step < 3; step++)
                {
                    int which = (round + step) % 3;
                    times[which] = Build(configurations[which]).CscMs;
                }

                var result = new RealBuildRound(times[0], times[1], times[2], load);
                results.Add(result);
                _progress($"  round {round + 1}/{rounds}: Csc without {result.Without:F0} ms, do-nothing analyzer {result.DriverOnly:F0} ms, ours {result.With:F0} ms ({result.AddedPercent:+0.0;-0.0}%, over the do-nothing analyzer {result.OverDriverOnlyPercent:+0.0;-0.0}%); load {load}");
            }

            return results;
        }

        private string CopyToRoot(string assembly, string folder)
        {
            string directory = Path.Combine(Root, folder);
            Directory.CreateDirectory(directory);
            string copy = Path.Combine(directory, Path.GetFileName(assembly));
            File.Copy(assembly, copy, overwrite: true);
            return copy;
        }

        /// <summary>The compiler's inputs as MSBuild resolves them: sources, references, defines, language version, nullable.</summary>
        private void ReadCompilerInputs()
        {
            string json = Run("dotnet", $"msbuild \"{ProjectDirectory}\" -nologo -p:TargetFramework={Framework} -p:Configuration=Release -t:FindReferenceAssembliesForReferences -getItem:Compile -getItem:ReferencePathWithRefAssemblies -getProperty:DefineConstants -getProperty:LangVersion -getProperty:Nullable -getProperty:AllowUnsafeBlocks", Root);
            // Warnings (NU1603 …) may come before the JSON document and after it.
            int begin = json.IndexOf("\n{", StringComparison.Ordinal);
            json = json.Substring(begin < 0 ? json.IndexOf('{', StringComparison.Ordinal) : begin + 1);
            json = json.Substring(0, json.LastIndexOf('}') + 1);
            using JsonDocument document = JsonDocument.Parse(json);
            JsonElement properties = document.RootElement.GetProperty("Properties");
            JsonElement items = document.RootElement.GetProperty("Items");
            string defines = properties.GetProperty("DefineConstants").GetString() ?? "";
            string langVersion = properties.GetProperty("LangVersion").GetString() ?? "";
            string nullable = properties.GetProperty("Nullable").GetString() ?? "";
            bool unsafeBlocks = string.Equals(properties.GetProperty("AllowUnsafeBlocks").GetString(), "true", StringComparison.OrdinalIgnoreCase);
            LanguageVersion version = LanguageVersionFacts.TryParse(langVersion, out LanguageVersion parsed) ? parsed : LanguageVersion.Default;
            var parseOptions = new CSharpParseOptions(version, preprocessorSymbols: defines.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

            var trees = new List<SyntaxTree>();
            foreach (JsonElement item in items.GetProperty("Compile").EnumerateArray())
            {
                string path = item.GetProperty("FullPath").GetString()!;
                trees.Add(CSharpSyntaxTree.ParseText(Microsoft.CodeAnalysis.Text.SourceText.From(File.ReadAllText(path), System.Text.Encoding.UTF8), parseOptions, path));
            }

            // The build's own generated files (assembly attributes), which are compiled too.
            string obj = Path.Combine(ProjectDirectory, "obj", "Release", Framework);
            foreach (string path in Directory.GetFiles(obj, "*.cs"))
            {
                if (!trees.Any(t => t.FilePath == path))
                {
                    trees.Add(CSharpSyntaxTree.ParseText(Microsoft.CodeAnalysis.Text.SourceText.From(File.ReadAllText(path), System.Text.Encoding.UTF8), parseOptions, path));
                }
            }

            References = items.GetProperty("ReferencePathWithRefAssemblies").EnumerateArray()
                .Select(i => (MetadataReference)MetadataReference.CreateFromFile(i.GetProperty("FullPath").GetString()!))
                .ToImmutableArray();
            CompilationOptions = new CSharpCompilationOptions(
                OutputKind.DynamicallyLinkedLibrary,
                optimizationLevel: OptimizationLevel.Release,
                allowUnsafe: unsafeBlocks,
                nullableContextOptions: nullable switch
                {
                    "enable" => NullableContextOptions.Enable,
                    "warnings" => NullableContextOptions.Warnings,
                    "annotations" => NullableContextOptions.Annotations,
                    _ => NullableContextOptions.Disable,
                },
                deterministic: true);

            int methods = 0;
            int statements = 0;
            foreach (SyntaxTree tree in trees)
            {
                foreach (SyntaxNode node in tree.GetRoot().DescendantNodes())
                {
                    if (node is BaseMethodDeclarationSyntax { Body: not null } or BaseMethodDeclarationSyntax { ExpressionBody: not null } or AccessorDeclarationSyntax { Body: not null } or AccessorDeclarationSyntax { ExpressionBody: not null })
                    {
                        methods++;
                    }
                    else if (node is StatementSyntax and not BlockSyntax)
                    {
                        statements++;
                    }
                }
            }

            Corpus = new Corpus($"{Name} (real code, {Path.GetFileName(Tarball)}, {Framework})", trees.ToImmutableArray(), methods, statements, seededDefects: 0);
        }

        public void Dispose()
        {
            try
            {
                // The compiler server keeps nothing open in the folder; a failure to delete leaves a temporary folder behind.
                Directory.Delete(Root, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        internal static string LoadAverage()
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

        private static string Run(string fileName, string arguments, string directory)
        {
            var start = new ProcessStartInfo(fileName, arguments)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
                WorkingDirectory = directory,
            };
            start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            start.Environment["DOTNET_NOLOGO"] = "1";
            using Process process = Process.Start(start)!;
            process.StandardInput.Close();
            System.Threading.Tasks.Task<string> error = process.StandardError.ReadToEndAsync();
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            output += error.Result;
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{fileName} {arguments} failed ({process.ExitCode}):\n{Tail(output)}");
            }

            return output;
        }

        private static string Tail(string output) => output.Length <= 4000 ? output : output.Substring(output.Length - 4000);
    }

    /// <summary>One round of real builds: the Csc task's time without an analyzer, with the do-nothing analyzer, and with ours.</summary>
    internal sealed class RealBuildRound
    {
        public RealBuildRound(double without, double driverOnly, double with, string load)
        {
            Without = without;
            DriverOnly = driverOnly;
            With = with;
            Load = load;
        }

        public double Without { get; }

        public double DriverOnly { get; }

        public double With { get; }

        public string Load { get; }

        public double AddedPercent => 100 * (With - Without) / Without;

        public double DriverOnlyPercent => 100 * (DriverOnly - Without) / Without;

        public double OverDriverOnlyPercent => 100 * (With - DriverOnly) / Without;
    }
}
