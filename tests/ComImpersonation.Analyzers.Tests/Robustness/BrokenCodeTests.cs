using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading.Tasks;
using ComImpersonation.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;

namespace ComImpersonation.Analyzers.Tests.Robustness
{
    /// <summary>
    /// Code that does not compile: the analysis cannot know what it does, so it stays quiet rather than guess
    /// (docs/analysis-model.md, "Robustness: where the analysis stays quiet"). Each case has a control: the same
    /// code, compiling, is reported, so these tests fail if the analysis stops seeing the code at all.
    /// </summary>
    public class BrokenCodeTests
    {
        private static readonly Flavour Ole32 = RuleCode.Get("DllImport.ole32");

        /// <summary>A method body (to its closing brace) that compiles and is reported, and the same body broken.</summary>
        public static TheoryData<string, string> Cases => new TheoryData<string, string>
        {
            // A failure check being typed: the missing operand would make the failure branch look like a success.
            { "int hr = NativeMethods.CoImpersonateClient(); if (hr < 0) return; Work(); }", "int hr = NativeMethods.CoImpersonateClient(); if (hr < ) return; Work(); }" },

            // A misspelt revert does not bind: the analysis would report a missing revert the author wrote.
            { "int hr = NativeMethods.CoImpersonateClient(); if (hr < 0) return; Work(); NativeMethods.CoRevertToSelf(); }", "int hr = NativeMethods.CoImpersonateClient(); if (hr < 0) return; Work(); NativeMethods.CoRevertToSelff(); }" },

            // A misspelt check (FAILED) does not bind either.
            { "int hr = NativeMethods.CoImpersonateClient(); if (FAILED(hr)) return; Work(); }", "int hr = NativeMethods.CoImpersonateClient(); if (FAILD(hr)) return; Work(); }" },

            // A method being typed: the call is not closed yet (the class's closing brace ends the method).
            { "int hr = NativeMethods.CoImpersonateClient(); if (hr < 0) return; Work(); }", "int hr = NativeMethods.CoImpersonateClient(); if (hr < 0) return; Work( " },
        };

        [Theory]
        [MemberData(nameof(Cases))]
        public async Task A_method_that_does_not_compile_gets_no_diagnostic(string compiling, string broken)
        {
            // The control: the method compiles, and it is reported.
            AnalysisOutcome reported = await AnalyzeAsync(RuleCode.Class(Ole32, "public void Begin_Work()\n{\n" + compiling));
            Assert.Null(reported.Failure);
            Assert.NotEmpty(reported.Diagnostics);

            Project project = CreateProject(RuleCode.Class(Ole32, "public void Begin_Work()\n{\n" + broken));
            Compilation compilation = (await project.GetCompilationAsync())!;
            Assert.Contains(compilation.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error);

            AnalysisOutcome outcome = await RobustnessHarness.AnalyzeAsync(project, document: null);
            Assert.Null(outcome.Failure);
            Assert.Empty(outcome.Diagnostics);
        }

        [Fact]
        public Task An_error_in_another_method_does_not_silence_this_one()
        {
            // Only the method that does not compile is skipped; the rest of the file is analysed as usual.
            return RuleCode.VerifyAsync(Ole32, """
                    public void Begin_Work()
                    {
                        int hr = {|COMIMP002:NativeMethods.CoImpersonateClient()|};
                        if (hr < 0) return;
                        Work();
                    }

                    public void Begin_Other()
                    {
                        int hr = NativeMethods.CoImpersonateClient();
                        if (hr < 0) return;
                        Work();
                        NativeMethods.{|CS0117:CoRevertToSelff|}();
                    }
                """);
        }

        [Fact]
        public Task A_receiver_of_an_unknown_type_is_not_recognised()
        {
            return Verify.AnalyzerAsync(
                Ole32.Sources(RuleCode.Class(Ole32, """
                    private {|CS0246:IUnknownSecurity|} _unknown;

                    public void Begin_Work()
                    {
                        _unknown.ImpersonateClient();
                        Work();
                        _sync.Signal();
                    }

                    public void Begin_Static()
                    {
                        {|CS0103:UnknownNative|}.CoImpersonateClient();
                        Work();
                    }
                """)));
        }

        [Fact]
        public async Task A_compilation_without_any_reference_does_not_throw_and_reports_nothing_new()
        {
            // No System.Runtime, no other reference: every framework type is an error type and [Guid] or [DllImport] do
            // not bind. Flavours that declare the known interfaces in source are still recognised by their full names;
            // whatever is reported must also be reported on the complete compilation (errors never add a diagnostic).
            foreach (MutationTarget target in RobustnessCorpus.Sample.Take(1).Concat(RobustnessCorpus.Flavours))
            {
                AnalysisOutcome complete = await RobustnessHarness.AnalyzeAsync(target.Project, document: null);
                Project project = RobustnessHarness.CreateProject(target.Name, await SourcesOf(target.Project), withReferences: false);
                AnalysisOutcome outcome = await RobustnessHarness.AnalyzeAsync(project, document: null);
                Assert.True(outcome.Failure is null, target.Name + ": " + outcome.Failure);
                AssertSubset(target.Name, outcome, complete);
            }
        }

        [Fact]
        public async Task A_compilation_missing_System_Runtime_does_not_throw()
        {
            // The other reference assemblies are there, so some types bind and others are missing (error types).
            ImmutableArray<MetadataReference> partial = TestReferences.Net
                .Where(r => !(r.Display ?? "").EndsWith("System.Runtime.dll", System.StringComparison.OrdinalIgnoreCase))
                .ToImmutableArray();
            Assert.True(partial.Length < TestReferences.Net.Length, "System.Runtime.dll was not among the references");
            foreach (MutationTarget target in RobustnessCorpus.Sample.Take(1).Concat(RobustnessCorpus.Flavours))
            {
                Project project = RobustnessHarness.CreateProject(target.Name, await SourcesOf(target.Project), withReferences: false)
                    .AddMetadataReferences(partial);
                Assert.Contains((await project.GetCompilationAsync())!.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error);
                AnalysisOutcome outcome = await RobustnessHarness.AnalyzeAsync(project, document: null);
                Assert.True(outcome.Failure is null, target.Name + ": " + outcome.Failure);
                AssertSubset(target.Name, outcome, await RobustnessHarness.AnalyzeAsync(target.Project, document: null));
            }
        }

        private static void AssertSubset(string name, AnalysisOutcome partial, AnalysisOutcome complete)
        {
            var expected = new HashSet<string>(complete.Diagnostics.Select(Key));
            string[] extra = partial.Diagnostics.Select(Key).Where(k => !expected.Contains(k)).ToArray();
            Assert.True(extra.Length == 0, name + ": reported only with references missing: " + string.Join(", ", extra));
        }

        private static string Key(Diagnostic diagnostic) =>
            diagnostic.Id + " " + diagnostic.Location.GetLineSpan().Path + diagnostic.Location.GetLineSpan().Span;

        private static Project CreateProject(string callObject) =>
            RobustnessHarness.CreateProject(
                "Broken",
                Ole32.Declarations.Select((text, i) => ("Declarations" + i + ".cs", text)).Append(("CallObject.cs", callObject)));

        private static Task<AnalysisOutcome> AnalyzeAsync(string callObject) =>
            RobustnessHarness.AnalyzeAsync(CreateProject(callObject), document: null);

        private static async Task<List<(string Path, string Text)>> SourcesOf(Project project)
        {
            var sources = new List<(string, string)>();
            foreach (Document document in project.Documents)
            {
                sources.Add((document.Name, (await document.GetTextAsync()).ToString()));
            }

            return sources;
        }
    }
}
