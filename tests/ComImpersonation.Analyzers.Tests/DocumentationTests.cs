using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using ComImpersonation.Analyzers.Rules;
using ComImpersonation.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace ComImpersonation.Analyzers.Tests
{
    /// <summary>
    /// Docs and descriptors are checked against each other, so neither can drift: every rule has a page that is
    /// its help link and states its title and severity, the index lists it, release tracking ships it, and no page
    /// exists for a rule the analyzer does not have.
    /// </summary>
    public class DocumentationTests
    {
        public static IEnumerable<object[]> Rules() =>
            new ImpersonationAnalyzer().SupportedDiagnostics.Select(d => new object[] { d.Id });

        [Fact]
        public void Every_rule_of_the_spec_is_implemented_once()
        {
            string[] ids = new ImpersonationAnalyzer().SupportedDiagnostics.Select(d => d.Id).ToArray();
            Assert.Equal(new[] { "COMIMP001", "COMIMP002", "COMIMP003", "COMIMP004", "COMIMP005", "COMIMP006", "COMIMP007" }, ids);
        }

        [Theory]
        [MemberData(nameof(Rules))]
        public void Rule_page_matches_descriptor(string id)
        {
            DiagnosticDescriptor descriptor = Descriptor(id);
            string page = RepositoryPaths.Combine("docs", "rules", id + ".md");
            Assert.True(File.Exists(page), $"missing {page}");
            string text = File.ReadAllText(page);

            Assert.EndsWith("/docs/rules/" + id + ".md", descriptor.HelpLinkUri);
            Assert.StartsWith($"# {id}: {descriptor.Title}", text);
            Assert.Matches(new Regex($@"\|\s*Title\s*\|\s*{Regex.Escape(descriptor.Title.ToString())}\s*\|"), text);
            Assert.Matches(new Regex($@"\|\s*Default severity\s*\|\s*{SeverityWord(descriptor.DefaultSeverity)}\s*\|"), text);
            Assert.Matches(new Regex($@"\|\s*Category\s*\|\s*{descriptor.Category}\s*\|"), text);
            Assert.True(descriptor.IsEnabledByDefault);
        }

        /// <summary>
        /// The help link is the rule's page in the package's home (RepositoryUrl and RepositoryBranch in
        /// Directory.Build.props, the one place that names it), and that page is the file in this repository.
        /// </summary>
        [Theory]
        [MemberData(nameof(Rules))]
        public void Help_link_is_the_rule_page_in_the_package_home(string id)
        {
            (string url, string branch) = RepositoryPaths.Home();
            string tree = url + "/blob/" + branch + "/";
            string link = Descriptor(id).HelpLinkUri;
            Assert.Equal(tree + "docs/rules/" + id + ".md", link);

            string page = RepositoryPaths.Combine(link.Substring(tree.Length).Split('/'));
            Assert.True(File.Exists(page), $"{id}'s help link {link} names {page}, which does not exist");
        }

        [Fact]
        public void Readme_names_the_package_home()
        {
            string home = RepositoryPaths.Home().Url;
            Assert.StartsWith("https://", home, System.StringComparison.Ordinal);
            Assert.Contains(home, File.ReadAllText(RepositoryPaths.Combine("README.md")), System.StringComparison.Ordinal);
        }

        [Theory]
        [MemberData(nameof(Rules))]
        public void Rule_index_lists_rule(string id) =>
            AssertIndexRow(RepositoryPaths.Combine("docs", "rules", "README.md"), linkPrefix: "", id);

        [Theory]
        [MemberData(nameof(Rules))]
        public void Readme_rules_table_lists_rule(string id) =>
            AssertIndexRow(RepositoryPaths.Combine("README.md"), linkPrefix: "docs/rules/", id);

        /// <summary>
        /// The rule's row, cell by cell: the link to its page (the page its help link names), the title and
        /// default severity of its descriptor, and the title of the code fix that handles it (or "—").
        /// </summary>
        private static void AssertIndexRow(string file, string linkPrefix, string id)
        {
            DiagnosticDescriptor descriptor = Descriptor(id);
            string row = File.ReadAllText(file).Split('\n').FirstOrDefault(line => line.StartsWith($"| [{id}]", System.StringComparison.Ordinal)) ?? "";
            Assert.False(row.Length == 0, $"{file} has no row for {id}");
            string[] cells = row.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray();
            Assert.Equal(5, cells.Length);

            Match link = Regex.Match(cells[0], @"^\[(?<id>COMIMP\d{3})\]\((?<target>[^)]+)\)$");
            Assert.True(link.Success, $"{file}: the first cell of {id}'s row must link its page: {cells[0]}");
            Assert.Equal(id, link.Groups["id"].Value);
            Assert.Equal(linkPrefix + id + ".md", link.Groups["target"].Value);
            Assert.Equal(Descriptors.HelpLinkBase + id + ".md", descriptor.HelpLinkUri);
            Assert.EndsWith("/docs/rules/", Descriptors.HelpLinkBase, System.StringComparison.Ordinal);

            Assert.Equal(descriptor.Title.ToString(), cells[1]);
            Assert.Equal(SeverityWord(descriptor.DefaultSeverity), cells[2]);
            Assert.Equal(CodeFixTitleFor(id) ?? "—", cells[4]);
        }

        private static string? CodeFixTitleFor(string id) =>
            typeof(ComImpersonation.CodeFixes.ImpersonationCodeFixProvider).Assembly.GetTypes()
                .Where(t => !t.IsAbstract && typeof(ComImpersonation.CodeFixes.ImpersonationCodeFixProvider).IsAssignableFrom(t))
                .Select(t => (ComImpersonation.CodeFixes.ImpersonationCodeFixProvider)System.Activator.CreateInstance(t)!)
                .Where(p => p.FixableDiagnosticIds.Contains(id))
                .Select(p => p.Title)
                .SingleOrDefault();

        [Theory]
        [MemberData(nameof(Rules))]
        public void Release_tracking_lists_rule(string id)
        {
            DiagnosticDescriptor descriptor = Descriptor(id);
            string unshipped = File.ReadAllText(RepositoryPaths.Combine("src", "Analyzers", "AnalyzerReleases.Unshipped.md"));
            string shipped = File.ReadAllText(RepositoryPaths.Combine("src", "Analyzers", "AnalyzerReleases.Shipped.md"));
            Assert.Matches(
                new Regex($@"^{id}\s*\|\s*{descriptor.Category}\s*\|\s*{SeverityWord(descriptor.DefaultSeverity)}\s*\|", RegexOptions.Multiline),
                unshipped + "\n" + shipped);
        }

        [Fact]
        public void No_page_without_a_rule()
        {
            var ids = new HashSet<string>(new ImpersonationAnalyzer().SupportedDiagnostics.Select(d => d.Id));
            foreach (string page in Directory.GetFiles(RepositoryPaths.Combine("docs", "rules"), "COMIMP*.md"))
            {
                Assert.Contains(Path.GetFileNameWithoutExtension(page), ids);
            }
        }

        private static DiagnosticDescriptor Descriptor(string id) =>
            new ImpersonationAnalyzer().SupportedDiagnostics.Single(d => d.Id == id);

        private static string SeverityWord(DiagnosticSeverity severity) => severity switch
        {
            DiagnosticSeverity.Warning => "Warning",
            DiagnosticSeverity.Info => "Info",
            DiagnosticSeverity.Error => "Error",
            _ => "Hidden",
        };
    }
}
