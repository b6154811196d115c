using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using ComImpersonation.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace ComImpersonation.Analyzers.Tests.Robustness
{
    /// <summary>One file to mutate, in the project it belongs to (the rest of the project stays as it is).</summary>
    internal sealed class MutationTarget
    {
        public MutationTarget(string name, Project project, DocumentId document, string text)
        {
            Name = name;
            Project = project;
            Document = document;
            Text = text;
        }

        /// <summary>Where the file comes from: <c>sample/ReportCallObject.cs</c>, <c>ValidCode/…</c>, <c>flavour TerraFX</c>.</summary>
        public string Name { get; }

        public Project Project { get; }

        public DocumentId Document { get; }

        public string Text { get; }

        /// <summary>The project with this file replaced by <paramref name="text"/>.</summary>
        public Project With(string text) =>
            Project.Solution.WithDocumentText(Document, Microsoft.CodeAnalysis.Text.SourceText.From(text)).GetProject(Project.Id)!;

        public override string ToString() => Name;
    }

    /// <summary>
    /// The inputs of the robustness tests: the sample server (each of its files, in the sample's project), the
    /// valid-code corpus (each file a project of its own), and one call object per interop flavour with code that
    /// every rule reports on (so every fix is offered), besides the flavour's declarations.
    /// </summary>
    internal static class RobustnessCorpus
    {
        private static readonly Lazy<List<MutationTarget>> LazySample = new Lazy<List<MutationTarget>>(LoadSample);
        private static readonly Lazy<List<MutationTarget>> LazyValidCode = new Lazy<List<MutationTarget>>(LoadValidCode);
        private static readonly Lazy<List<MutationTarget>> LazyFlavours = new Lazy<List<MutationTarget>>(LoadFlavours);

        public static IReadOnlyList<MutationTarget> Sample => LazySample.Value;

        public static IReadOnlyList<MutationTarget> ValidCode => LazyValidCode.Value;

        public static IReadOnlyList<MutationTarget> Flavours => LazyFlavours.Value;

        public static IEnumerable<MutationTarget> All => Sample.Concat(ValidCode).Concat(Flavours);

        /// <summary>
        /// Members that every rule reports on, in the flavour's idiom: COMIMP001 (impersonation after Signal), 002 (no
        /// revert), 003 (active at Signal), 004 (result ignored, or a throwing projection's exception swallowed), 005
        /// (Finish_), 006 (handed to Task.Run; after an await), 007 (revert not in finally); then shapes the analysis
        /// must survive: a goto loop, a recursive local function, an async lambda, an iterator.
        /// </summary>
        public static string RuleMembers(Flavour f)
        {
            string check = f.ImpersonateChecked(f.Impersonate);
            string unchecked_ = f.IsThrowing
                ? "try { " + f.Impersonate + "; } catch { }"
                : f.Impersonate + ";";
            string iteratorCheck = f.IsThrowing
                ? f.Impersonate + ";"
                : "var hr = " + f.Impersonate + "; if (" + f.Failed("hr") + ") yield break;";
            return $$"""
                    public void Begin_AfterSignal()
                    {
                        {{f.SignalStatement}}
                        {{check}}
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }

                    public void Begin_NoRevert()
                    {
                        {{check}}
                        Work();
                        {{f.SignalStatement}}
                    }

                    public void Begin_NotInFinally()
                    {
                        {{check}}
                        Work();
                        {{f.RevertStatement}}
                        {{f.SignalStatement}}
                    }

                    public void Begin_Unchecked()
                    {
                        {{unchecked_}}
                        try { Work(); } finally { {{f.RevertStatement}} }
                        {{f.SignalStatement}}
                    }

                    public void Finish_Work()
                    {
                        {{check}}
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }

                    public void Begin_OffThread()
                    {
                        Task.Run(() =>
                        {
                            {{check}}
                            try { Work(); } finally { {{f.RevertStatement}} }
                        });
                        {{f.SignalStatement}}
                    }

                    public async Task Begin_AfterAwait()
                    {
                        await Task.Yield();
                        {{check}}
                        try { Work(); } finally { {{f.RevertStatement}} }
                        {{f.SignalStatement}}
                    }

                    public void Begin_Shapes(int n)
                    {
                        int i = 0;
                    again:
                        if (i++ < n) goto again;
                        void Recurse(int k) { if (k > 0) Recurse(k - 1); else {{f.SignalStatement}} }
                        Func<Task> later = async () => { await Task.Yield(); Work(); };
                        {{check}}
                        Recurse(n);
                        {{f.RevertStatement}}
                    }

                    public System.Collections.Generic.IEnumerable<int> Begin_Iterator()
                    {
                        {{iteratorCheck}}
                        yield return 1;
                        {{f.RevertStatement}}
                    }
                """;
        }

        private static List<MutationTarget> LoadSample()
        {
            string directory = RepositoryPaths.Combine("samples", "AsyncComServer");
            (string Path, string Text)[] files = Directory.GetFiles(directory, "*.cs")
                .OrderBy(f => f, StringComparer.Ordinal)
                .Select(f => (Path.GetFileName(f), File.ReadAllText(f)))
                .ToArray();
            Project project = RobustnessHarness.CreateProject("AsyncComServer", files, nullable: true);
            return project.Documents
                .OrderBy(d => d.Name, StringComparer.Ordinal)
                .Select(d => new MutationTarget("sample/" + d.Name, project, d.Id, d.GetTextAsync().Result.ToString()))
                .ToList();
        }

        private static List<MutationTarget> LoadValidCode()
        {
            string directory = Path.Combine(AppContext.BaseDirectory, "ValidCode");
            var targets = new List<MutationTarget>();
            foreach (string file in Directory.GetFiles(directory, "*.cs").OrderBy(f => f, StringComparer.Ordinal))
            {
                string name = Path.GetFileName(file);
                string text = File.ReadAllText(file);
                Project project = RobustnessHarness.CreateProject(name, new[] { (name, text) });
                targets.Add(new MutationTarget("ValidCode/" + name, project, project.DocumentIds[0], text));
            }

            return targets;
        }

        private static List<MutationTarget> LoadFlavours()
        {
            var targets = new List<MutationTarget>();
            foreach (string name in ((IEnumerable<object[]>)RuleCode.AllNames).Select(row => (string)row[0]))
            {
                // Async code cannot be unsafe in C# 12: vtable flavours reach their structs through ref properties.
                Flavour flavour = RuleCode.AwaitFriendly(RuleCode.Get(name));
                targets.Add(FlavourTarget(flavour, RuleCode.Class(flavour, RuleMembers(flavour))));
            }

            // The other impersonation APIs (advapi32, user32, rpcrt4), but an unsafe call object: async code cannot be.
            foreach (string name in ((IEnumerable<object[]>)TokenFlavours.AsyncNames).Select(row => (string)row[0]))
            {
                Flavour flavour = TokenFlavours.Get(name);
                targets.Add(FlavourTarget(flavour, TokenCode.Class(flavour, RuleMembers(flavour))));
            }

            return targets;
        }

        /// <summary>A flavour's declarations and <paramref name="callObject"/> in one project; the call object is mutated.</summary>
        private static MutationTarget FlavourTarget(Flavour flavour, string callObject)
        {
            var files = flavour.Declarations.Select((text, i) => ("Declarations" + i + ".cs", text)).ToList();
            files.Add(("CallObject.cs", callObject));
            Project project = RobustnessHarness.CreateProject(flavour.Name, files);
            DocumentId target = project.Documents.Single(d => d.Name == "CallObject.cs").Id;
            return new MutationTarget("flavour " + flavour.Name, project, target, callObject);
        }
    }
}
