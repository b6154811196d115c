using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using ComImpersonation.Analyzers.Tests.Infrastructure;
using ComImpersonation.Analyzers.Tests.Package;
using Xunit.Abstractions;

namespace ComImpersonation.Analyzers.Tests.Editors
{
    /// <summary>
    /// The package in a real editor host: csharp-ls (the Roslyn-based language server of Neovim, Emacs and Helix
    /// users), restored from the repository's tool manifest (.config/dotnet-tools.json, pinned) and started over
    /// standard input/output on a fresh project that installs the packed package. The test speaks LSP as an editor
    /// does and checks what README.md's "Editors" section says: the COMIMP diagnostics appear with their ranges,
    /// severities and help links once analyzers are switched on (csharp.analyzersEnabled, off by default), by pull
    /// (textDocument/diagnostic) and by push (textDocument/publishDiagnostics); an edit that adds the revert clears
    /// COMIMP002; .editorconfig severities apply, <c>none</c> included.
    /// </summary>
    [Collection(PackedPackageCollection.Name)]
    public class LanguageServerTests : IClassFixture<LanguageServerTests.CSharpLsTool>
    {
        /// <summary>Generous for a loaded two-core machine: the project normally loads and is analysed in under ten seconds.</summary>
        private static readonly TimeSpan FirstAnalysis = TimeSpan.FromSeconds(90);

        private static readonly TimeSpan Reanalysis = TimeSpan.FromSeconds(20);

        private const string Impersonation = "NativeMethods.CoImpersonateClient()";

        private const string Revert = "            NativeMethods.CoRevertToSelf();\n";

        /// <summary>
        /// Three findings in three methods, in this order: COMIMP002 (the early return in <c>Leak</c> keeps the token),
        /// COMIMP007 (<c>NotInFinally</c>), COMIMP004 (<c>Unchecked</c>); and a compiler warning (CS0219), which
        /// shows the document was analysed even while analyzers are off.
        /// </summary>
        private const string Service = """
            using System.Runtime.InteropServices;

            internal static class NativeMethods
            {
                [DllImport("ole32.dll")]
                public static extern int CoImpersonateClient();

                [DllImport("ole32.dll")]
                public static extern int CoRevertToSelf();
            }

            public class Service
            {
                public void Leak(bool early)
                {
                    if (NativeMethods.CoImpersonateClient() < 0)
                    {
                        return;
                    }

                    if (early)
                    {
                        return;
                    }

                    try
                    {
                        System.Console.WriteLine("working as the client");
                    }
                    finally
                    {
                        NativeMethods.CoRevertToSelf();
                    }
                }

                public void NotInFinally()
                {
                    if (NativeMethods.CoImpersonateClient() < 0)
                    {
                        return;
                    }

                    System.Console.WriteLine("working as the client");
                    NativeMethods.CoRevertToSelf();
                }

                public void Unchecked()
                {
                    NativeMethods.CoImpersonateClient();
                    try
                    {
                        System.Console.WriteLine("working as the client");
                    }
                    finally
                    {
                        NativeMethods.CoRevertToSelf();
                    }
                }

                public void Unused()
                {
                    int unused = 1;
                }
            }

            """;

        /// <summary>The methods of <see cref="Service"/> in a class of their own, in the file where COMIMP002 is off.</summary>
        private static readonly string Hidden = string.Concat(Service.Split('\n').SkipWhile(l => !l.StartsWith("public class", StringComparison.Ordinal)).Select(l => l + "\n"))
            .Replace("public class Service", "public class Hidden", StringComparison.Ordinal)
            .TrimEnd('\n') + "\n";

        /// <summary>COMIMP004 becomes an error everywhere; in Hidden.cs, COMIMP002 is off.</summary>
        private const string EditorConfig = """
            root = true

            [*.cs]
            dotnet_diagnostic.COMIMP004.severity = error

            [Hidden.cs]
            dotnet_diagnostic.COMIMP002.severity = none
            """;

        private readonly PackedPackage _package;
        private readonly ITestOutputHelper _output;

        /// <summary>The tool fixture is taken so that csharp-ls is restored before the first test starts it.</summary>
        public LanguageServerTests(PackedPackage package, CSharpLsTool tool, ITestOutputHelper output)
        {
            _package = package;
            _output = output;
            GC.KeepAlive(tool);
        }

        /// <summary>LSP's DiagnosticSeverity.</summary>
        private enum Severity
        {
            Error = 1,
            Warning = 2,
            Information = 3,
            Hint = 4,
        }

        [Fact]
        public async Task Nothing_shows_until_analyzers_are_switched_on_then_pulled_diagnostics_have_their_ranges_severities_and_help_links_an_edit_clears_COMIMP002_and_editorconfig_none_hides_it()
        {
            string project = NewConsumer("lsp-pull");
            bool enabled = false;

            // At first the editor's settings say nothing about analyzers: csharp-ls's default (off) applies.
            using LspClient server = StartServer(analyzersEnabled: () => enabled ? true : null);
            await Run(server, async () =>
            {
                Stopwatch clock = Stopwatch.StartNew();
                await InitializeAsync(server, project, pull: true);
                string service = Open(server, project, "Service.cs");
                JsonArray diagnostics = await PullUntilAsync(server, service, d => d.Any(x => Code(x) == "CS0219"), FirstAnalysis, "the compiler's diagnostics");
                _output.WriteLine($"project loaded and analysed without analyzers after {clock.Elapsed.TotalSeconds:0.0} s");
                Assert.Empty(Comimp(diagnostics));
                Assert.Contains(server.ServerRequests, r => r.Method == "workspace/configuration" && r.Params?["items"]?.AsArray().Any(i => i?["section"]?.GetValue<string>() == "csharp") == true);

                // The user switches analyzers on: the settings change (workspace/didChangeConfiguration) and what the
                // editor answers to workspace/configuration from now on. The next pull has the COMIMP diagnostics.
                enabled = true;
                server.Notify("workspace/didChangeConfiguration", new JsonObject
                {
                    ["settings"] = new JsonObject { ["csharp"] = new JsonObject { ["analyzersEnabled"] = true } },
                });
                clock.Restart();
                diagnostics = await PullUntilAsync(server, service, d => Comimp(d).Any(), FirstAnalysis, "COMIMP diagnostics after analyzers were switched on");
                _output.WriteLine($"COMIMP diagnostics pulled {clock.Elapsed.TotalSeconds:0.0} s after analyzers were switched on");
                AssertComimp(ExpectedIn(Service), diagnostics);

                // csharp-ls offers only Roslyn's own code fixes (README: use dotnet format analyzers instead): none of
                // this package's fixes is among the code actions on COMIMP002.
                JsonNode leak = Comimp(diagnostics).Single(d => Code(d) == "COMIMP002");
                JsonNode? actions = await server.RequestAsync("textDocument/codeAction", new JsonObject
                {
                    ["textDocument"] = new JsonObject { ["uri"] = service },
                    ["range"] = leak["range"]!.DeepClone(),
                    ["context"] = new JsonObject { ["diagnostics"] = new JsonArray(leak.DeepClone()) },
                }, Reanalysis);
                string[] titles = (actions as JsonArray ?? new JsonArray()).Select(a => a?["title"]?.ToString() ?? "").ToArray();
                _output.WriteLine("code actions on COMIMP002: " + string.Join(" | ", titles));
                Assert.DoesNotContain(titles, t => t.Contains("Revert in finally", StringComparison.Ordinal));

                // The edit an editor sends when the user adds the revert to the early return: COMIMP002 goes away.
                int earlyReturn = LineOf(Service, "        if (early)") + 2;
                string edited = Service.Insert(OffsetOf(Service, earlyReturn), Revert);
                server.Notify("textDocument/didChange", new JsonObject
                {
                    ["textDocument"] = new JsonObject { ["uri"] = service, ["version"] = 2 },
                    ["contentChanges"] = new JsonArray(new JsonObject { ["range"] = Range(earlyReturn, 0, earlyReturn, 0), ["text"] = Revert }),
                });
                clock.Restart();
                diagnostics = await PullUntilAsync(server, service, d => !Comimp(d).Any(x => Code(x) == "COMIMP002"), Reanalysis, "the diagnostics without COMIMP002 after the edit");
                _output.WriteLine($"COMIMP002 cleared {clock.Elapsed.TotalSeconds:0.00} s after the edit");
                AssertComimp(ExpectedIn(edited).Where(e => e.Code != "COMIMP002"), diagnostics);

                // The same code in Hidden.cs, where .editorconfig sets COMIMP002 to none: the other rules still show.
                string hidden = Open(server, project, "Hidden.cs");
                diagnostics = await PullUntilAsync(server, hidden, d => Comimp(d).Any(), FirstAnalysis, "the COMIMP diagnostics of Hidden.cs");
                AssertComimp(ExpectedIn(Hidden).Where(e => e.Code != "COMIMP002"), diagnostics);
            });
        }

        [Fact]
        public async Task With_analyzers_on_in_workspace_configuration_pushed_diagnostics_have_their_ranges_severities_and_help_links_and_follow_edits()
        {
            string project = NewConsumer("lsp-push");
            using LspClient server = StartServer(analyzersEnabled: () => true);
            await Run(server, async () =>
            {
                Stopwatch clock = Stopwatch.StartNew();

                // No pull capability: csharp-ls pushes (textDocument/publishDiagnostics).
                await InitializeAsync(server, project, pull: false);
                string service = Open(server, project, "Service.cs");
                JsonArray diagnostics = await server.WaitForPublishedAsync(service, d => Comimp(d).Any(), FirstAnalysis, "the first COMIMP diagnostics");
                _output.WriteLine($"first COMIMP diagnostics pushed after {clock.Elapsed.TotalSeconds:0.0} s");
                AssertComimp(ExpectedIn(Service), diagnostics);

                // A full-text change this time, as some editors send.
                int earlyReturn = LineOf(Service, "        if (early)") + 2;
                string edited = Service.Insert(OffsetOf(Service, earlyReturn), Revert);
                server.Notify("textDocument/didChange", new JsonObject
                {
                    ["textDocument"] = new JsonObject { ["uri"] = service, ["version"] = 2 },
                    ["contentChanges"] = new JsonArray(new JsonObject { ["text"] = edited }),
                });
                clock.Restart();
                diagnostics = await server.WaitForPublishedAsync(service, d => Comimp(d).Any() && !Comimp(d).Any(x => Code(x) == "COMIMP002"), Reanalysis, "the diagnostics without COMIMP002 after the edit");
                _output.WriteLine($"COMIMP002 cleared {clock.Elapsed.TotalSeconds:0.00} s after the edit");
                AssertComimp(ExpectedIn(edited).Where(e => e.Code != "COMIMP002"), diagnostics);
            });
        }

        /// <summary>The diagnostics of <see cref="Service"/>-shaped code: the n-th impersonation call has the n-th finding.</summary>
        private static IEnumerable<(string Code, int Line, int Start, int End, Severity Severity)> ExpectedIn(string text)
        {
            var findings = new[] { ("COMIMP002", Severity.Warning), ("COMIMP007", Severity.Information), ("COMIMP004", Severity.Error) };
            string[] lines = text.Split('\n');
            var calls = lines.SelectMany((line, index) => line.Contains(Impersonation, StringComparison.Ordinal) ? new[] { (index, line.IndexOf(Impersonation, StringComparison.Ordinal)) } : Array.Empty<(int, int)>()).ToArray();
            Assert.Equal(findings.Length, calls.Length);
            return findings.Zip(calls, (f, c) => (f.Item1, c.Item1, c.Item2, c.Item2 + Impersonation.Length, f.Item2));
        }

        /// <summary>
        /// The COMIMP diagnostics are exactly <paramref name="expected"/>: code, range (one line: the impersonation
        /// call), severity; each links its rule's page in the package's home (codeDescription.href) and has a message.
        /// </summary>
        private static void AssertComimp(IEnumerable<(string Code, int Line, int Start, int End, Severity Severity)> expected, JsonArray diagnostics)
        {
            string Describe((string Code, int Line, int Start, int End, Severity Severity) d) => $"{d.Code} {d.Line}:{d.Start}-{d.End} {d.Severity}";
            string[] actual = Comimp(diagnostics)
                .Select(d => Describe((
                    Code(d),
                    d["range"]!["start"]!["line"]!.GetValue<int>(),
                    d["range"]!["start"]!["character"]!.GetValue<int>(),
                    d["range"]!["end"]!["line"]!.GetValue<int>() == d["range"]!["start"]!["line"]!.GetValue<int>() ? d["range"]!["end"]!["character"]!.GetValue<int>() : -1,
                    (Severity)d["severity"]!.GetValue<int>())))
                .OrderBy(s => s, StringComparer.Ordinal)
                .ToArray();
            Assert.Equal(expected.Select(Describe).OrderBy(s => s, StringComparer.Ordinal), actual);

            (string home, string branch) = RepositoryPaths.Home();
            foreach (JsonNode d in Comimp(diagnostics))
            {
                Assert.Equal($"{home}/blob/{branch}/docs/rules/{Code(d)}.md", d["codeDescription"]?["href"]?.GetValue<string>());
                Assert.False(string.IsNullOrWhiteSpace(d["message"]?.GetValue<string>()), d.ToJsonString());
            }
        }

        private static IEnumerable<JsonNode> Comimp(JsonArray diagnostics) =>
            diagnostics.Where(d => d is not null && Code(d).StartsWith("COMIMP", StringComparison.Ordinal)).Select(d => d!);

        private static string Code(JsonNode? diagnostic) => diagnostic?["code"]?.ToString() ?? "";

        private string NewConsumer(string name)
        {
            string project = _package.NewConsumer(name, new[] { (".editorconfig", EditorConfig), ("Service.cs", Service), ("Hidden.cs", Hidden) });

            // Language servers do not restore: the project is restored, as after the user's first build or restore.
            (int exit, string output) = _package.Dotnet(project, "restore");
            Assert.True(exit == 0, "dotnet restore failed:" + Environment.NewLine + output);
            return project;
        }

        /// <summary>
        /// csharp-ls as an editor starts it: <c>dotnet tool run csharp-ls</c> (the repository's manifest), over
        /// standard input/output. It answers workspace/configuration for "csharp" with analyzersEnabled as given
        /// (null: the setting is absent), and every other server request with null.
        /// </summary>
        private LspClient StartServer(Func<bool?> analyzersEnabled)
        {
            ProcessStartInfo start = DotnetCli.StartInfo(RepositoryPaths.Root, environment: null, "tool", "run", "csharp-ls", "--", "--loglevel", "info");
            return LspClient.Start(start, (method, parameters) =>
            {
                if (method != "workspace/configuration")
                {
                    return null;
                }

                var items = new JsonArray();
                foreach (JsonNode? item in parameters?["items"]?.AsArray() ?? new JsonArray())
                {
                    bool? enabled = analyzersEnabled();
                    items.Add(item?["section"]?.GetValue<string>() == "csharp"
                        ? (enabled is bool on ? new JsonObject { ["analyzersEnabled"] = on } : new JsonObject())
                        : null);
                }

                return items;
            });
        }

        /// <summary>initialize and initialized, with the capabilities an editor declares for diagnostics.</summary>
        private static async Task InitializeAsync(LspClient server, string project, bool pull)
        {
            var textDocument = new JsonObject
            {
                ["synchronization"] = new JsonObject { ["dynamicRegistration"] = false, ["didSave"] = true },
                ["publishDiagnostics"] = new JsonObject { ["relatedInformation"] = true, ["codeDescriptionSupport"] = true, ["versionSupport"] = true },
            };
            if (pull)
            {
                textDocument["diagnostic"] = new JsonObject { ["dynamicRegistration"] = true, ["relatedDocumentSupport"] = false };
            }

            string root = new Uri(project).AbsoluteUri;
            JsonNode? result = await server.RequestAsync("initialize", new JsonObject
            {
                ["processId"] = Environment.ProcessId,
                ["clientInfo"] = new JsonObject { ["name"] = "ComImpersonation.Analyzers.Tests" },
                ["rootUri"] = root,
                ["workspaceFolders"] = new JsonArray(new JsonObject { ["uri"] = root, ["name"] = Path.GetFileName(project) }),
                ["capabilities"] = new JsonObject
                {
                    ["workspace"] = new JsonObject
                    {
                        ["configuration"] = true,
                        ["workspaceFolders"] = true,
                        ["didChangeConfiguration"] = new JsonObject { ["dynamicRegistration"] = false },
                    },
                    ["textDocument"] = textDocument,
                    ["window"] = new JsonObject { ["workDoneProgress"] = true },
                },
            }, TimeSpan.FromSeconds(60));
            Assert.NotNull(result?["capabilities"]);
            server.Notify("initialized", new JsonObject());
        }

        /// <summary>textDocument/didOpen of a file of the project, with its text on disk.</summary>
        private static string Open(LspClient server, string project, string name)
        {
            string path = Path.Combine(project, name);
            string uri = new Uri(path).AbsoluteUri;
            server.Notify("textDocument/didOpen", new JsonObject
            {
                ["textDocument"] = new JsonObject { ["uri"] = uri, ["languageId"] = "csharp", ["version"] = 1, ["text"] = File.ReadAllText(path) },
            });
            return uri;
        }

        /// <summary>Pulls the document's diagnostics (textDocument/diagnostic) until <paramref name="until"/> holds.</summary>
        private static async Task<JsonArray> PullUntilAsync(LspClient server, string uri, Func<JsonArray, bool> until, TimeSpan timeout, string what)
        {
            Stopwatch clock = Stopwatch.StartNew();
            string last = "(nothing)";
            while (clock.Elapsed < timeout)
            {
                JsonNode? report = await server.RequestAsync("textDocument/diagnostic", new JsonObject { ["textDocument"] = new JsonObject { ["uri"] = uri } }, timeout);
                JsonArray items = report?["items"]?.AsArray() ?? new JsonArray();
                if (until(items))
                {
                    return items;
                }

                last = report?.ToJsonString() ?? "null";
                await Task.Delay(100);
            }

            throw server.Failure($"no pull gave {what} within {timeout.TotalSeconds:0} s; the last report: {last}");
        }

        /// <summary>Runs a test's steps; any failure carries the server's log.</summary>
        private static async Task Run(LspClient server, Func<Task> steps)
        {
            try
            {
                await steps();
            }
            catch (Exception e) when (e is not LanguageServerException)
            {
                throw server.Failure(e.Message, e);
            }
        }

        private static JsonObject Range(int startLine, int startCharacter, int endLine, int endCharacter) => new JsonObject
        {
            ["start"] = new JsonObject { ["line"] = startLine, ["character"] = startCharacter },
            ["end"] = new JsonObject { ["line"] = endLine, ["character"] = endCharacter },
        };

        private static int LineOf(string text, string line) =>
            Array.FindIndex(text.Split('\n'), l => l.TrimEnd('\r') == line) is int index and >= 0 ? index : throw new InvalidOperationException("no line " + line);

        private static int OffsetOf(string text, int line) =>
            text.Split('\n').Take(line).Sum(l => l.Length + 1);

        /// <summary>
        /// csharp-ls, restored once per class from the repository's tool manifest (.config/dotnet-tools.json pins the
        /// version) with <c>dotnet tool restore</c>, as a user's clone restores it. (A pinned tool version never
        /// changes, so the user's NuGet cache may hold it; <c>dotnet tool run</c> finds it through the SDK's tool
        /// resolver cache.)
        /// </summary>
        public sealed class CSharpLsTool
        {
            public CSharpLsTool()
            {
                (int exit, string output) = DotnetCli.Run(RepositoryPaths.Root, PackedPackage.Timeout, "tool", "restore");
                if (exit != 0)
                {
                    throw new InvalidOperationException("dotnet tool restore (.config/dotnet-tools.json) failed:" + Environment.NewLine + output);
                }
            }
        }
    }
}
