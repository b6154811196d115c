using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace ComImpersonation.Analyzers.Tests.Infrastructure
{
    /// <summary>
    /// Runs the real <c>dotnet</c> CLI for the end-to-end tests (build, format, pack), the way a user would, in a
    /// clean environment: the MSBuild variables of the test host's own build are not passed on.
    /// </summary>
    internal static class DotnetCli
    {
        private static readonly Regex DiagnosticLine = new Regex(@"(?<file>[^\s\\/:]+\.cs)\((?<line>\d+),(?<column>\d+)\): (?<severity>warning|error|info) (?<id>[A-Z]+\d+)");

        public static (int ExitCode, string Output) Run(string workingDirectory, TimeSpan timeout, params string[] arguments) =>
            Run(workingDirectory, timeout, environment: null, arguments);

        /// <summary>Runs <c>dotnet</c> with <paramref name="environment"/> set on top of the clean environment.</summary>
        public static (int ExitCode, string Output) Run(string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
        {
            ProcessStartInfo start = StartInfo(workingDirectory, environment, arguments);
            start.RedirectStandardInput = false;
            var output = new StringBuilder();
            using var process = new Process { StartInfo = start };
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (!process.WaitForExit((int)timeout.TotalMilliseconds))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("dotnet " + string.Join(" ", arguments) + " did not finish within " + timeout + ":" + Environment.NewLine + output);
            }

            process.WaitForExit();
            lock (output)
            {
                return (process.ExitCode, output.ToString());
            }
        }

        /// <summary>
        /// How to start <c>dotnet</c> with <paramref name="arguments"/> in the clean environment (for a process that
        /// stays up, such as a language server; <see cref="Run(string, TimeSpan, IReadOnlyDictionary{string, string}?, string[])"/>
        /// uses it too), with standard input, output and error redirected.
        /// </summary>
        public static ProcessStartInfo StartInfo(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
        {
            var start = new ProcessStartInfo(DotnetPath())
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            foreach (string key in start.Environment.Keys.ToList())
            {
                if (key.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase))
                {
                    start.Environment.Remove(key);
                }
            }

            start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            start.Environment["DOTNET_NOLOGO"] = "1";
            start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";

            // No build servers outliving the command: they would hold the output pipes open and keep files in use.
            start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
            start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
            start.Environment["UseSharedCompilation"] = "false";
            foreach (KeyValuePair<string, string> variable in environment ?? new Dictionary<string, string>())
            {
                start.Environment[variable.Key] = variable.Value;
            }

            return start;
        }

        /// <summary>Distinct "File.cs(line): severity ID" entries of build output.</summary>
        public static IReadOnlyList<(string File, int Line, string Severity, string Id)> Diagnostics(string output) =>
            DiagnosticLine.Matches(output)
                .Select(m => (m.Groups["file"].Value, int.Parse(m.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups["severity"].Value, m.Groups["id"].Value))
                .Distinct()
                .ToList();

        /// <summary>Copies a directory without its bin/ and obj/ folders.</summary>
        public static void CopyDirectory(string source, string destination)
        {
            Directory.CreateDirectory(destination);
            foreach (string file in Directory.GetFiles(source))
            {
                File.Copy(file, Path.Combine(destination, Path.GetFileName(file)));
            }

            foreach (string directory in Directory.GetDirectories(source))
            {
                string name = Path.GetFileName(directory);
                if (name is not ("bin" or "obj"))
                {
                    CopyDirectory(directory, Path.Combine(destination, name));
                }
            }
        }

        /// <summary>The text of a directory's C# files, in a stable order: to tell whether a command changed them.</summary>
        public static string SourcesOf(string directory) =>
            string.Join("\n", Directory.GetFiles(directory, "*.cs").OrderBy(f => f, StringComparer.Ordinal).Select(File.ReadAllText));

        /// <summary>A fresh directory under the system's temporary folder.</summary>
        public static string NewTemporaryDirectory(string prefix)
        {
            string path = Path.Combine(Path.GetTempPath(), prefix + "-" + Guid.NewGuid().ToString("N").Substring(0, 12));
            Directory.CreateDirectory(path);
            return path;
        }

        private static string DotnetPath() =>
            Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
    }
}
