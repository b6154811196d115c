using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using ComImpersonation.Analyzers.Tests.Infrastructure;

namespace ComImpersonation.Analyzers.Tests.Fixes
{
    /// <summary>
    /// The fixes as <c>dotnet format</c> applies them (SPEC §4): on a copy of samples/AsyncComServer, with the
    /// analyzer and code-fix assemblies this test was built with, <c>dotnet format analyzers --diagnostics …</c>
    /// must change the code, and the result must build with none of those diagnostics left and the others intact.
    /// The code the fixes write raises no other warning (issue 16): with CA1806 (a result ignored) turned on, the
    /// fixed sample reports it on no line the fixes wrote.
    /// </summary>
    public class DotnetFormatEndToEndTests
    {
        private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

        private static readonly string[] Unfixable = { "COMIMP005", "COMIMP006" };

        [Theory]
        [InlineData("COMIMP001")]
        [InlineData("COMIMP002")]
        [InlineData("COMIMP003")]
        [InlineData("COMIMP004")]
        [InlineData("COMIMP007")]
        [InlineData("COMIMP001", "COMIMP002", "COMIMP003", "COMIMP004", "COMIMP007")]
        public void Dotnet_format_fixes_the_sample(params string[] ids)
        {
            string directory = CopyOfSample();
            try
            {
                string before = DotnetCli.SourcesOf(directory);
                Dictionary<string, string[]> linesBefore = LinesOf(directory);

                (int formatExit, string formatOutput) = DotnetCli.Run(
                    directory,
                    Timeout,
                    new[] { "format", "analyzers", "AsyncComServer.csproj", "--severity", "info", "--diagnostics" }.Concat(ids).ToArray());
                Assert.True(formatExit == 0, "dotnet format failed:" + Environment.NewLine + formatOutput);
                Assert.NotEqual(before, DotnetCli.SourcesOf(directory));

                (int buildExit, string buildOutput) = DotnetCli.Run(directory, Timeout, "build", "AsyncComServer.csproj", "--no-incremental");
                Assert.True(buildExit == 0, "the fixed sample does not build:" + Environment.NewLine + buildOutput);

                string[] left = DotnetCli.Diagnostics(buildOutput)
                    .Where(d => d.Id.StartsWith("COMIMP", StringComparison.Ordinal))
                    .Select(d => d.Id)
                    .Distinct()
                    .ToArray();
                Assert.Empty(left.Intersect(ids));

                // Rules without a fix, and rules not asked for, are still reported: the fixes did not hide them.
                Assert.Subset(left.ToHashSet(), Unfixable.ToHashSet());
                foreach (string other in new[] { "COMIMP001", "COMIMP002", "COMIMP003", "COMIMP004", "COMIMP007" }.Except(ids))
                {
                    Assert.Contains(other, left);
                }

                // Each line CA1806 reports is one the sample had, and no more often than it had it: a bare
                // `Ole32.CoRevertToSelf();` written by a fix would be one more.
                Dictionary<string, string[]> linesAfter = LinesOf(directory);
                var reported = DotnetCli.Diagnostics(buildOutput)
                    .Where(d => d.Id == "CA1806")
                    .GroupBy(d => (d.File, Text: linesAfter[d.File][d.Line - 1].Trim()))
                    .ToList();
                foreach (var line in reported)
                {
                    int had = linesBefore.TryGetValue(line.Key.File, out string[]? original) ? original.Count(l => l.Trim() == line.Key.Text) : 0;
                    Assert.True(
                        line.Count() <= had,
                        $"CA1806 on a line a fix wrote, {line.Key.File}: {line.Key.Text}" + Environment.NewLine + buildOutput);
                }
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        /// <summary>The lines of each C# file of <paramref name="directory"/>, by file name.</summary>
        private static Dictionary<string, string[]> LinesOf(string directory) =>
            Directory.GetFiles(directory, "*.cs").ToDictionary(file => Path.GetFileName(file), file => File.ReadAllText(file).Split('\n'), StringComparer.Ordinal);

        /// <summary>
        /// The sample with its analyzer project references replaced by the built assemblies, as a package would
        /// deliver them; the copy lives outside the repository, so nothing of the repository's build applies to it.
        /// </summary>
        private static string CopyOfSample()
        {
            string directory = DotnetCli.NewTemporaryDirectory("comimp-format");
            DotnetCli.CopyDirectory(RepositoryPaths.Combine("samples", "AsyncComServer"), directory);
            string project = Path.Combine(directory, "AsyncComServer.csproj");
            string analyzers =
                $"<Analyzer Include=\"{Path.Combine(AppContext.BaseDirectory, "ComImpersonation.Analyzers.dll")}\" />"
                + $"<Analyzer Include=\"{Path.Combine(AppContext.BaseDirectory, "ComImpersonation.CodeFixes.dll")}\" />";
            string text = File.ReadAllText(project);
            string rewritten = Regex.Replace(text, @"<ProjectReference Include=""[^""]*(Analyzers|CodeFixes)\.csproj""[^>]*/>", string.Empty);
            Assert.NotEqual(text, rewritten);
            File.WriteAllText(project, rewritten.Replace("</Project>", "  <ItemGroup>" + analyzers + "</ItemGroup>\n</Project>", StringComparison.Ordinal));

            // CA1806 is a suggestion by default, which a build does not print: raised beside the sample's own settings.
            File.AppendAllText(Path.Combine(directory, ".editorconfig"), "\n# The fix tests: a result the fixed code ignores.\ndotnet_diagnostic.CA1806.severity = warning\n");
            return directory;
        }
    }
}
