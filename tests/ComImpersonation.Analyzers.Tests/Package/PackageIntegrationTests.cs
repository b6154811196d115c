using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.Json;
using System.Xml.Linq;
using ComImpersonation.Analyzers.Tests.Infrastructure;

namespace ComImpersonation.Analyzers.Tests.Package
{
    /// <summary>
    /// The package installed the way users install it: packed from src/Package, restored by a fresh project from a
    /// local folder feed (a <c>PackageReference</c>, no project reference), built, configured and fixed with the
    /// plain <c>dotnet</c> CLI. The project's code is the sample's, so every rule has something to report.
    /// </summary>
    [Collection(PackedPackageCollection.Name)]
    public class PackageIntegrationTests
    {
        private static readonly string[] AllRules = { "COMIMP001", "COMIMP002", "COMIMP003", "COMIMP004", "COMIMP005", "COMIMP006", "COMIMP007" };

        private readonly PackedPackage _package;

        public PackageIntegrationTests(PackedPackage package)
        {
            _package = package;
        }

        [Fact]
        public void Package_holds_both_assemblies_as_analyzers_and_nothing_for_consumers_to_depend_on()
        {
            using ZipArchive archive = ZipFile.OpenRead(_package.PackagePath);
            string[] entries = archive.Entries.Select(e => e.FullName).Where(n => !n.StartsWith("package/", StringComparison.Ordinal) && !n.StartsWith("_rels/", StringComparison.Ordinal) && n != "[Content_Types].xml").OrderBy(n => n, StringComparer.Ordinal).ToArray();
            Assert.Equal(
                new[] { "analyzers/dotnet/cs/ComImpersonation.Analyzers.dll", "analyzers/dotnet/cs/ComImpersonation.CodeFixes.dll", "CHANGELOG.md", "ComImpersonation.Analyzers.nuspec", "LICENSE", "README.md" }
                    .OrderBy(n => n, StringComparer.Ordinal),
                entries);

            XDocument nuspec = XDocument.Load(archive.GetEntry("ComImpersonation.Analyzers.nuspec")!.Open());
            XElement metadata = nuspec.Root!.Elements().Single(e => e.Name.LocalName == "metadata");
            string Value(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value ?? "";
            Assert.Equal("ComImpersonation.Analyzers", Value("id"));
            Assert.Equal("true", Value("developmentDependency"));
            Assert.Equal("LICENSE", Value("license"));
            Assert.Equal("README.md", Value("readme"));

            // The package's home, as Directory.Build.props names it (and the help links use it).
            (string home, string branch) = RepositoryPaths.Home();
            Assert.Equal(home, Value("projectUrl"));
            XElement repository = metadata.Elements().Single(e => e.Name.LocalName == "repository");
            Assert.Equal("git", repository.Attribute("type")?.Value);
            Assert.Equal(home, repository.Attribute("url")?.Value);
            Assert.Equal(branch, repository.Attribute("branch")?.Value);
            Assert.Contains("## " + _package.Version, Value("releaseNotes"), StringComparison.Ordinal);
            Assert.DoesNotContain(metadata.Elements(), e => e.Name.LocalName == "dependencies" && e.Descendants().Any());
        }

        [Fact]
        public void Analyzer_assembly_references_Roslyn_4_8_and_not_Workspaces()
        {
            Dictionary<string, Version> analyzer = ReferencesOf("ComImpersonation.Analyzers.dll");
            Assert.Equal(new Version(4, 8, 0, 0), analyzer["Microsoft.CodeAnalysis"]);
            Assert.Equal(new Version(4, 8, 0, 0), analyzer["Microsoft.CodeAnalysis.CSharp"]);
            Assert.DoesNotContain(analyzer.Keys, name => name.Contains("Workspaces", StringComparison.Ordinal));

            Dictionary<string, Version> fixes = ReferencesOf("ComImpersonation.CodeFixes.dll");
            Assert.Equal(new Version(4, 8, 0, 0), fixes["Microsoft.CodeAnalysis.Workspaces"]);
        }

        [Fact]
        public void Build_reports_every_rule_in_its_output_and_in_the_SARIF_log()
        {
            string project = _package.NewConsumer("build", SampleFiles());
            (int exit, string output) = _package.Dotnet(project, "build", "-p:ErrorLog=build.sarif%2Cversion=2.1");
            Assert.True(exit == 0, output);

            string[] reported = DotnetCli.Diagnostics(output).Where(d => d.Id.StartsWith("COMIMP", StringComparison.Ordinal)).Select(d => d.Id).Distinct().OrderBy(id => id, StringComparer.Ordinal).ToArray();
            Assert.Equal(AllRules, reported);

            using JsonDocument sarif = JsonDocument.Parse(File.ReadAllText(Path.Combine(project, "build.sarif")));
            JsonElement run = sarif.RootElement.GetProperty("runs")[0];
            string[] logged = run.GetProperty("results").EnumerateArray()
                .Select(r => r.GetProperty("ruleId").GetString()!)
                .Where(id => id.StartsWith("COMIMP", StringComparison.Ordinal))
                .Distinct()
                .OrderBy(id => id, StringComparer.Ordinal)
                .ToArray();
            Assert.Equal(AllRules, logged);

            // Every finding explains itself (SPEC §3): the places of its path are the result's relatedLocations, and
            // the message names the line of one of them.
            foreach (JsonElement result in run.GetProperty("results").EnumerateArray())
            {
                string id = result.GetProperty("ruleId").GetString()!;
                if (id is not ("COMIMP001" or "COMIMP002" or "COMIMP003" or "COMIMP006" or "COMIMP007"))
                {
                    continue;
                }

                string message = result.GetProperty("message").GetProperty("text").GetString()!;
                Assert.True(result.TryGetProperty("relatedLocations", out JsonElement related), id + " has no relatedLocations: " + message);
                int[] lines = related.EnumerateArray()
                    .Select(l => l.GetProperty("physicalLocation").GetProperty("region").GetProperty("startLine").GetInt32())
                    .ToArray();
                Assert.NotEmpty(lines);
                Assert.True(lines.Any(line => message.Contains("line " + line, StringComparison.Ordinal)), id + ": the message names none of the related lines " + string.Join(", ", lines) + ": " + message);
            }

            // The log describes each rule with its help link (the rule's page).
            JsonElement[] rules = run.GetProperty("tool").GetProperty("driver").GetProperty("rules").EnumerateArray().ToArray();
            foreach (string id in AllRules)
            {
                JsonElement rule = rules.Single(r => r.GetProperty("id").GetString() == id);
                Assert.EndsWith("/docs/rules/" + id + ".md", rule.GetProperty("helpUri").GetString(), StringComparison.Ordinal);
            }
        }

        [Fact]
        public void Editorconfig_severity_turns_a_rule_into_an_error_or_off()
        {
            string editorconfig = """
                root = true

                [*.cs]
                dotnet_diagnostic.COMIMP002.severity = error
                dotnet_diagnostic.COMIMP001.severity = none
                dotnet_diagnostic.COMIMP007.severity = warning
                """;
            string project = _package.NewConsumer("severity", SampleFiles(editorconfig));
            (int exit, string output) = _package.Dotnet(project, "build");

            Assert.NotEqual(0, exit);
            var diagnostics = DotnetCli.Diagnostics(output).Where(d => d.Id.StartsWith("COMIMP", StringComparison.Ordinal)).ToList();
            Assert.Contains(diagnostics, d => d.Id == "COMIMP002" && d.Severity == "error");
            Assert.DoesNotContain(diagnostics, d => d.Id == "COMIMP001");
            Assert.Contains(diagnostics, d => d.Id == "COMIMP007" && d.Severity == "warning");
            Assert.Contains(diagnostics, d => d.Id == "COMIMP003" && d.Severity == "warning");
        }

        [Fact]
        public void Dotnet_format_applies_the_package_fixes()
        {
            string project = _package.NewConsumer("format", SampleFiles());
            string before = DotnetCli.SourcesOf(project);

            (int formatExit, string formatOutput) = _package.Dotnet(project, "format", "analyzers", "Consumer.csproj", "--diagnostics", "COMIMP002", "COMIMP004", "--severity", "info");
            Assert.True(formatExit == 0, formatOutput);
            Assert.NotEqual(before, DotnetCli.SourcesOf(project));

            (int buildExit, string buildOutput) = _package.Dotnet(project, "build", "--no-incremental");
            Assert.True(buildExit == 0, buildOutput);
            string[] left = DotnetCli.Diagnostics(buildOutput).Select(d => d.Id).Distinct().ToArray();
            Assert.DoesNotContain("COMIMP002", left);
            Assert.DoesNotContain("COMIMP004", left);
            Assert.Contains("COMIMP001", left);
        }

        /// <summary>The sample's sources (and its .editorconfig, or <paramref name="editorconfig"/> instead).</summary>
        private static IEnumerable<(string Name, string Text)> SampleFiles(string? editorconfig = null)
        {
            string sample = RepositoryPaths.Combine("samples", "AsyncComServer");
            foreach (string file in Directory.GetFiles(sample, "*.cs"))
            {
                yield return (Path.GetFileName(file), File.ReadAllText(file));
            }

            yield return (".editorconfig", editorconfig ?? File.ReadAllText(Path.Combine(sample, ".editorconfig")));
        }

        private Dictionary<string, Version> ReferencesOf(string assemblyName)
        {
            using ZipArchive archive = ZipFile.OpenRead(_package.PackagePath);
            using var buffer = new MemoryStream();
            using (Stream entry = archive.GetEntry("analyzers/dotnet/cs/" + assemblyName)!.Open())
            {
                entry.CopyTo(buffer);
            }

            buffer.Position = 0;
            using var pe = new PEReader(buffer);
            MetadataReader reader = pe.GetMetadataReader();
            return reader.AssemblyReferences
                .Select(handle => reader.GetAssemblyReference(handle))
                .ToDictionary(reference => reader.GetString(reference.Name), reference => reference.Version);
        }
    }
}
