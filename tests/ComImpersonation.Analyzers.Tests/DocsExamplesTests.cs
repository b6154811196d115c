using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using ComImpersonation.Analyzers.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Testing;

namespace ComImpersonation.Analyzers.Tests
{
    /// <summary>
    /// Keeps the rule pages honest. Each page's code is read from the page itself:
    /// <list type="bullet">
    /// <item>the bad code of "## Example" (its first <c>csharp</c> block), compiled with the page's
    /// "Declarations used in the examples", must get exactly the diagnostics the page prints below it: same file,
    /// line, column, severity, ID and message;</item>
    /// <item>the good code of "## How to fix" replaces the methods (or types) of the same name in the bad code,
    /// and the result must get no diagnostic at all.</item>
    /// </list>
    /// Smaller snippets that the pages show for other forms of a rule are checked with markup below, one test
    /// per page section.
    /// </summary>
    public class DocsExamplesTests
    {
        [Fact]
        public Task COMIMP001_md() => RulePage.VerifyAsync("COMIMP001");

        [Fact]
        public Task COMIMP002_md() => RulePage.VerifyAsync("COMIMP002");

        [Fact]
        public Task COMIMP003_md() => RulePage.VerifyAsync("COMIMP003");

        [Fact]
        public Task COMIMP004_md() => RulePage.VerifyAsync("COMIMP004");

        [Fact]
        public Task COMIMP005_md() => RulePage.VerifyAsync("COMIMP005");

        [Fact]
        public Task COMIMP006_md() => RulePage.VerifyAsync("COMIMP006");

        [Fact]
        public Task COMIMP007_md() => RulePage.VerifyAsync("COMIMP007");

        /// <summary>
        /// The "## Code fix" section shows what the rule's code fix makes of the page's example: the fix is run on
        /// the example (one by one and as Fix All), and the result must be the example with the section's members
        /// in place of the ones of the same name, with only the diagnostics the section prints left.
        /// </summary>
        [Theory]
        [InlineData("COMIMP001")]
        [InlineData("COMIMP002")]
        [InlineData("COMIMP003")]
        [InlineData("COMIMP004")]
        [InlineData("COMIMP007")]
        public Task Code_fix_section_shows_what_the_fix_makes_of_the_example(string id) => id switch
        {
            "COMIMP001" => RulePage.VerifyCodeFixAsync<ComImpersonation.CodeFixes.Fixes.MoveSignalAfterImpersonationCodeFixProvider>(id),
            "COMIMP003" => RulePage.VerifyCodeFixAsync<ComImpersonation.CodeFixes.Fixes.RevertBeforeSignalCodeFixProvider>(id),
            "COMIMP004" => RulePage.VerifyCodeFixAsync<ComImpersonation.CodeFixes.Fixes.ThrowOnFailureCodeFixProvider>(id),
            _ => RulePage.VerifyCodeFixAsync<ComImpersonation.CodeFixes.Fixes.RevertInFinallyCodeFixProvider>(id),
        };

        /// <summary>Rules without a code fix say so in their "## Code fix" section, and show no fixed code.</summary>
        [Theory]
        [InlineData("COMIMP005")]
        [InlineData("COMIMP006")]
        public void Code_fix_section_says_there_is_none(string id) => RulePage.VerifyNoCodeFix(id);

        private const string Interop = @"
using System;
using System.Runtime.InteropServices;

[ComImport, Guid(""0000013E-0000-0000-C000-000000000046""), InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
interface IServerSecurity
{
    void QueryBlanket(IntPtr a, IntPtr b, IntPtr c, IntPtr d, IntPtr e, IntPtr f, IntPtr g);
    void ImpersonateClient();
    void RevertToSelf();
    [PreserveSig] bool IsImpersonating();
}

[ComImport, Guid(""00000030-0000-0000-C000-000000000046""), InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
interface ISynchronize
{
    void Wait(uint flags, uint milliseconds);
    void Signal();
    void Reset();
}

static class NativeMethods
{
    [DllImport(""ole32.dll"")] public static extern int CoImpersonateClient();
    [DllImport(""ole32.dll"")] public static extern int CoRevertToSelf();
}

static class Helpers
{
    public static int Impersonate() => NativeMethods.CoImpersonateClient();
    public static void Revert() => NativeMethods.CoRevertToSelf();
    public static void DeleteAsClient(string path)
    {
        Marshal.ThrowExceptionForHR(NativeMethods.CoImpersonateClient());
        try { System.IO.File.Delete(path); } finally { NativeMethods.CoRevertToSelf(); }
    }
}

sealed class ImpersonationScope : IDisposable
{
    public ImpersonationScope() => Marshal.ThrowExceptionForHR(NativeMethods.CoImpersonateClient());
    public void Dispose() => NativeMethods.CoRevertToSelf();
}

static class Hr
{
    public const int S_OK = 0;
    public static bool FAILED(int hr) => hr < 0;
    public static bool SUCCEEDED(int hr) => hr >= 0;
}
";

        /// <summary>COMIMP004.md, "What it finds" and "What the analysis sees": each form that is reported, and each that is not.</summary>
        [Fact]
        public Task COMIMP004_md_forms()
        {
            const string source = @"
using System;
using System.IO;
using System.Runtime.InteropServices;

class Forms
{
    private IServerSecurity _security;
    private int _field;
    static void Work() { }
    static void Log(int value) { }

    // Not acted on: reported.
    void Discarded() { {|COMIMP004:NativeMethods.CoImpersonateClient()|}; try { Work(); } finally { NativeMethods.CoRevertToSelf(); } }
    void Discard() { _ = {|COMIMP004:NativeMethods.CoImpersonateClient()|}; try { Work(); } finally { NativeMethods.CoRevertToSelf(); } }
    void DiscardCast() { _ = (uint){|COMIMP004:NativeMethods.CoImpersonateClient()|}; try { Work(); } finally { NativeMethods.CoRevertToSelf(); } }
    void NeverRead() { int hr = {|COMIMP004:NativeMethods.CoImpersonateClient()|}; try { Work(); } finally { NativeMethods.CoRevertToSelf(); } }
    void Overwritten() { int hr = {|COMIMP004:NativeMethods.CoImpersonateClient()|}; hr = 1; try { Log(hr); } finally { NativeMethods.CoRevertToSelf(); } }
    void AssignedTwice()
    {
        int hr;
        hr = {|COMIMP004:NativeMethods.CoImpersonateClient()|};
        hr = NativeMethods.CoImpersonateClient();
        try { Log(hr); } finally { NativeMethods.CoRevertToSelf(); }
    }
    void Swallowed() { try { {|COMIMP004:_security.ImpersonateClient()|}; } catch (COMException) { } try { Work(); } finally { _security.RevertToSelf(); } }
    void SwallowedAll() { try { {|COMIMP004:_security.ImpersonateClient()|}; } catch { } try { Work(); } finally { _security.RevertToSelf(); } }
    void SwallowedLogged() { try { {|COMIMP004:_security.ImpersonateClient()|}; } catch (Exception e) { Log(e.HResult); } try { Work(); } finally { _security.RevertToSelf(); } }
    void WrapperDiscarded() { {|COMIMP004:Helpers.Impersonate()|}; try { Work(); } finally { Helpers.Revert(); } }
    void WrapperNeverRead() { int hr = {|COMIMP004:Helpers.Impersonate()|}; try { Work(); } finally { Helpers.Revert(); } }
    void SwallowedByBreak() { for (;;) { try { {|COMIMP004:_security.ImpersonateClient()|}; } catch (COMException) { break; } try { Work(); } finally { _security.RevertToSelf(); } } }

    // Acted on: not reported.
    void Compared() { int hr = NativeMethods.CoImpersonateClient(); if (hr < 0) return; try { Work(); } finally { NativeMethods.CoRevertToSelf(); } }
    void ComparedDirectly() { if (NativeMethods.CoImpersonateClient() != Hr.S_OK) return; try { Work(); } finally { NativeMethods.CoRevertToSelf(); } }
    void Pattern() { int hr = NativeMethods.CoImpersonateClient(); if (hr is < 0) return; try { Work(); } finally { NativeMethods.CoRevertToSelf(); } }
    void Failed() { if (Hr.FAILED(NativeMethods.CoImpersonateClient())) return; try { Work(); } finally { NativeMethods.CoRevertToSelf(); } }
    void Throws() { Marshal.ThrowExceptionForHR(NativeMethods.CoImpersonateClient()); try { Work(); } finally { NativeMethods.CoRevertToSelf(); } }
    int Returned() => NativeMethods.CoImpersonateClient();
    void Field() { _field = NativeMethods.CoImpersonateClient(); try { Work(); } finally { NativeMethods.CoRevertToSelf(); } }
    void OutParameter(out int hr) { hr = NativeMethods.CoImpersonateClient(); try { Work(); } finally { NativeMethods.CoRevertToSelf(); } }
    void Logged() { try { Log(NativeMethods.CoImpersonateClient()); Work(); } finally { NativeMethods.CoRevertToSelf(); } }
    void Captured() { int hr = NativeMethods.CoImpersonateClient(); Action log = () => Log(hr); try { Work(); } finally { NativeMethods.CoRevertToSelf(); } }
    void ReadInHandler() { int hr = NativeMethods.CoImpersonateClient(); if (hr < 0) return; try { Work(); } catch (Exception) { Log(hr); } finally { NativeMethods.CoRevertToSelf(); } }
    void ComparisonUnused() { bool ok = NativeMethods.CoImpersonateClient() >= 0; try { Work(); } finally { NativeMethods.CoRevertToSelf(); } }
    void Rethrown() { try { _security.ImpersonateClient(); } catch (COMException) { throw; } try { Work(); } finally { _security.RevertToSelf(); } }
    void Returns() { try { _security.ImpersonateClient(); } catch (COMException) { return; } try { Work(); } finally { _security.RevertToSelf(); } }
    void OtherType() { try { _security.ImpersonateClient(); } catch (IOException) { } try { Work(); } finally { _security.RevertToSelf(); } }
    void Filtered() { try { _security.ImpersonateClient(); } catch (Exception e) when (e.HResult != 0) { } try { Work(); } finally { _security.RevertToSelf(); } }
    void NotCaught() { _security.ImpersonateClient(); try { Work(); } finally { _security.RevertToSelf(); } }
    void WrapperChecked() { int hr = Helpers.Impersonate(); if (hr < 0) return; try { Work(); } finally { Helpers.Revert(); } }
    void ClientIdentityCall() { Helpers.DeleteAsClient(""report.txt""); }
}";
            return Verify.AnalyzerAsync(new[] { Interop, source });
        }

        /// <summary>COMIMP005.md, "What the analysis sees": lambdas and local functions count, <c>Finish_</c> alone and helpers do not.</summary>
        [Fact]
        public Task COMIMP005_md_forms()
        {
            const string source = @"
using System;

class Forms
{
    static void Work() { }
    static void Helper() { int hr = NativeMethods.CoImpersonateClient(); if (hr < 0) return; try { Work(); } finally { NativeMethods.CoRevertToSelf(); } }

    public void Finish_Lambda()
    {
        Action run = () => { int hr = {|COMIMP005:NativeMethods.CoImpersonateClient()|}; if (hr < 0) return; try { Work(); } finally { NativeMethods.CoRevertToSelf(); } };
        run();
    }

    public void Finish_Local()
    {
        Local();
        void Local() { int hr = {|COMIMP005:NativeMethods.CoImpersonateClient()|}; if (hr < 0) return; try { Work(); } finally { NativeMethods.CoRevertToSelf(); } }
    }

    public void Finish_Unchecked()
    {
        {|#0:NativeMethods.CoImpersonateClient()|};
        Work();
    }

    public void Finish_() { int hr = NativeMethods.CoImpersonateClient(); if (hr < 0) return; try { Work(); } finally { NativeMethods.CoRevertToSelf(); } }

    public void Finish_Helper() => {|COMIMP005:Helper()|};

    public void Finish_Scope()
    {
        using ({|COMIMP005:new ImpersonationScope()|})
        {
            Work();
        }
    }
}

interface IAsyncCall
{
    void Finish_Call();
}

class Explicit : IAsyncCall
{
    void IAsyncCall.Finish_Call() => {|COMIMP005:Helpers.DeleteAsClient(""report.txt"")|};
}";
            return Verify.AnalyzerAsync(
                new[] { Interop, source },
                Verify.Diagnostic("COMIMP005", DiagnosticSeverity.Warning).WithLocation(0),
                Verify.Diagnostic("COMIMP004", DiagnosticSeverity.Warning).WithLocation(0),
                Verify.Diagnostic("COMIMP002", DiagnosticSeverity.Warning).WithLocation(0));
        }

        /// <summary>COMIMP006.md, "The other forms look like this" and "What the analysis sees".</summary>
        [Fact]
        public Task COMIMP006_md_forms()
        {
            const string source = @"
using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

class Forms
{
    static void Work() { }
    static Task CopyAsync(string source, string target) => Task.CompletedTask;

    static void CopyAsClient(object state)
    {
        int hr = NativeMethods.CoImpersonateClient(); // impersonation in CopyAsClient
        if (hr < 0) return;
        try { Work(); } finally { NativeMethods.CoRevertToSelf(); }
    }

    static void Plain(object state) => Work();

    // (a) an ordinary method handed over as a method group: reported on the argument
    public void Begin_MethodGroup() => ThreadPool.QueueUserWorkItem({|#0:CopyAsClient|});

    // (a) a local function: reported on the impersonation inside it
    public void Begin_LocalFunction()
    {
        new Thread(CopyLocal).Start();

        void CopyLocal()
        {
            int hr = {|COMIMP006:NativeMethods.CoImpersonateClient()|};
            if (hr < 0) return;
            try { Work(); } finally { NativeMethods.CoRevertToSelf(); }
        }
    }

    // (a) an anonymous method, a timer, Parallel
    public void Begin_Others()
    {
        ThreadPool.UnsafeQueueUserWorkItem(delegate { int hr = {|COMIMP006:NativeMethods.CoImpersonateClient()|}; if (hr < 0) return; try { Work(); } finally { NativeMethods.CoRevertToSelf(); } }, null);
        Parallel.For(0, 2, i => { int hr = {|COMIMP006:NativeMethods.CoImpersonateClient()|}; if (hr < 0) return; try { Work(); } finally { NativeMethods.CoRevertToSelf(); } });
        var timer = new Timer({|COMIMP006:CopyAsClient|}, null, 0, Timeout.Infinite);
        Task.Run(new Action(() => Plain(null)));
        Task.Run(async () => { await Task.Yield(); int hr = {|COMIMP006:NativeMethods.CoImpersonateClient()|}; if (hr < 0) return; try { Work(); } finally { NativeMethods.CoRevertToSelf(); } });
    }

    // (a) a delegate held in a local, the params array of Parallel.Invoke, nested code, a helper call
    public void Begin_Held()
    {
        Action copy = () => { int hr = {|COMIMP006:NativeMethods.CoImpersonateClient()|}; if (hr < 0) return; try { Work(); } finally { NativeMethods.CoRevertToSelf(); } };
        Task.Run(copy);
        Parallel.Invoke(() => { int hr = {|COMIMP006:NativeMethods.CoImpersonateClient()|}; if (hr < 0) return; try { Work(); } finally { NativeMethods.CoRevertToSelf(); } });
        Task.Run(() =>
        {
            Action inner = () => { int hr = {|COMIMP006:NativeMethods.CoImpersonateClient()|}; if (hr < 0) return; try { Work(); } finally { NativeMethods.CoRevertToSelf(); } };
            inner();
        });
        Task.Run(() => {|#2:Helpers.DeleteAsClient(""report.txt"")|});
    }

    // Not followed: a delegate held in a field, a method that does not impersonate.
    private Action _copy;

    public void Begin_NotFollowed()
    {
        _copy = () => { int hr = NativeMethods.CoImpersonateClient(); if (hr < 0) return; try { Work(); } finally { NativeMethods.CoRevertToSelf(); } };
        Task.Run(_copy);
        ThreadPool.QueueUserWorkItem(Plain);
    }

    // (b) impersonation after an await
    public async Task<int> AfterAwait(string logPath)
    {
        await File.WriteAllTextAsync(logPath, ""export started"");
        int hr = {|COMIMP006:NativeMethods.CoImpersonateClient()|};
        if (hr < 0) return hr;
        try { Work(); } finally { NativeMethods.CoRevertToSelf(); }
        return 0;
    }

    // (b) after an await in an earlier iteration, after await foreach
    public async Task Loop(IAsyncEnumerable<int> items)
    {
        for (int i = 0; i < 2; i++)
        {
            int hr = {|COMIMP006:NativeMethods.CoImpersonateClient()|};
            if (hr < 0) return;
            try { Work(); } finally { NativeMethods.CoRevertToSelf(); }
            await Task.Yield();
        }

        await foreach (int item in items) { }
        int again = {|COMIMP006:NativeMethods.CoImpersonateClient()|};
        if (again < 0) return;
        try { Work(); } finally { NativeMethods.CoRevertToSelf(); }
    }

    // (c) impersonation active across an await
    public async Task<int> AcrossAwait(string source, string target)
    {
        int hr = {|#1:NativeMethods.CoImpersonateClient()|};
        if (hr < 0) return hr;
        try
        {
            await CopyAsync(source, target); // await across
        }
        finally
        {
            NativeMethods.CoRevertToSelf();
        }

        return 0;
    }

    // Not reported: reverted before the await; the await only on the failure path.
    public async Task RevertedFirst(string source, string target)
    {
        int hr = NativeMethods.CoImpersonateClient();
        if (hr < 0)
        {
            await CopyAsync(source, target);
            return;
        }

        try { Work(); } finally { NativeMethods.CoRevertToSelf(); }
        await CopyAsync(source, target);
    }
}";
            return Verify.AnalyzerAsync(
                new[] { Interop, source },
                Verify.Diagnostic("COMIMP006", DiagnosticSeverity.Warning).WithLocation(0).WithMessage(
                    $"'CopyAsClient' impersonates the client (CoImpersonateClient, line {LineOf(source, "// impersonation in CopyAsClient")}) but is handed to 'ThreadPool.QueueUserWorkItem', which runs it on another thread; the call context exists only on the thread that dispatches the call"),
                Verify.Diagnostic("COMIMP006", DiagnosticSeverity.Warning).WithLocation(1).WithMessage(
                    $"'CoImpersonateClient' impersonates and stays active across the 'await' at line {LineOf(source, "// await across")}: the revert may run on another thread while this one keeps the impersonated token; the call context exists only on the thread that dispatches the call"),
                Verify.Diagnostic("COMIMP006", DiagnosticSeverity.Warning).WithLocation(2).WithMessage(
                    $"'DeleteAsClient' (which impersonates with 'CoImpersonateClient' at line {LineOf(Interop, "Marshal.ThrowExceptionForHR(NativeMethods.CoImpersonateClient());")} of Test0.cs) impersonates in a delegate handed to 'Task.Run' (line {LineOf(source, "Task.Run(() => {|#2:")}), which runs it on another thread; the call context exists only on the thread that dispatches the call"));
        }

        /// <summary>COMIMP007.md, "What the analysis sees": what can throw, and where an exception goes.</summary>
        [Fact]
        public Task COMIMP007_md_forms()
        {
            const string source = @"
using System;
using System.IO;
using System.Runtime.InteropServices;

class Forms
{
    private IServerSecurity _security;
    private ISynchronize _sync;
    private object _state;
    private int[] _counts;
    static void Work() { }

    // Able to throw: calls, object creations, throw statements, throwing projections.
    void Call() { int hr = {|COMIMP007:NativeMethods.CoImpersonateClient()|}; if (hr < 0) return; Work(); NativeMethods.CoRevertToSelf(); }
    void Creation() { int hr = {|COMIMP007:NativeMethods.CoImpersonateClient()|}; if (hr < 0) return; _state = new object(); NativeMethods.CoRevertToSelf(); }
    void Throw(bool stop) { int hr = {|COMIMP007:NativeMethods.CoImpersonateClient()|}; if (hr < 0) return; if (stop) throw new InvalidOperationException(); NativeMethods.CoRevertToSelf(); }
    void Projection() { {|COMIMP007:_security.ImpersonateClient()|}; Work(); _security.RevertToSelf(); }
    void Signalled()
    {
        int hr = {|COMIMP007:NativeMethods.CoImpersonateClient()|};
        if (hr < 0) return;
        {|COMIMP003:_sync.Signal()|};
        NativeMethods.CoRevertToSelf();
    }

    // Not able to throw: the HRESULT checks, the revert, everything else.
    void Checked() { int hr = NativeMethods.CoImpersonateClient(); Marshal.ThrowExceptionForHR(hr); NativeMethods.CoRevertToSelf(); }
    void CheckedFailed() { int hr = NativeMethods.CoImpersonateClient(); if (Hr.FAILED(hr)) return; NativeMethods.CoRevertToSelf(); }
    void Arithmetic(int divisor) { int hr = NativeMethods.CoImpersonateClient(); if (hr < 0) return; _counts[0] = _counts[1] / divisor; NativeMethods.CoRevertToSelf(); }
    void FailureBranch() { int hr = NativeMethods.CoImpersonateClient(); if (hr < 0) { Work(); return; } NativeMethods.CoRevertToSelf(); }

    // Where an exception goes.
    void Finally() { int hr = NativeMethods.CoImpersonateClient(); if (hr < 0) return; try { Work(); } finally { NativeMethods.CoRevertToSelf(); } }
    void CatchRethrows() { int hr = NativeMethods.CoImpersonateClient(); if (hr < 0) return; try { Work(); } catch { NativeMethods.CoRevertToSelf(); throw; } NativeMethods.CoRevertToSelf(); }
    void FinallyWithoutRevert() { int hr = {|COMIMP007:NativeMethods.CoImpersonateClient()|}; if (hr < 0) return; try { Work(); } finally { Work(); } NativeMethods.CoRevertToSelf(); }
    void CatchSwallows() { int hr = {|COMIMP002:NativeMethods.CoImpersonateClient()|}; if (hr < 0) return; try { Work(); NativeMethods.CoRevertToSelf(); } catch (Exception) { } }

    void TypedCatch() { int hr = {|COMIMP007:NativeMethods.CoImpersonateClient()|}; if (hr < 0) return; try { Work(); } catch (IOException) { NativeMethods.CoRevertToSelf(); throw; } NativeMethods.CoRevertToSelf(); }
    void FilteredCatch() { int hr = {|COMIMP007:NativeMethods.CoImpersonateClient()|}; if (hr < 0) return; try { Work(); } catch (Exception e) when (e is IOException) { NativeMethods.CoRevertToSelf(); throw; } NativeMethods.CoRevertToSelf(); }
    void TypedCatchSwallowedOutside()
    {
        try
        {
            int hr = {|COMIMP002:NativeMethods.CoImpersonateClient()|};
            if (hr < 0) return;
            try { Work(); } catch (IOException) { }
            NativeMethods.CoRevertToSelf();
        }
        catch (Exception) { }
        {|COMIMP003:_sync.Signal()|};
    }

    // Helpers and scopes.
    void RevertWrapper() { int hr = Helpers.Impersonate(); if (hr < 0) return; Helpers.Revert(); }
    void Scope() { using (new ImpersonationScope()) { Work(); } }
    void ScopeDeclaration() { using var scope = new ImpersonationScope(); Work(); }
    void ScopeDisposed() { var scope = {|COMIMP007:new ImpersonationScope()|}; Work(); scope.Dispose(); }

    // No revert at all, and work done as the client: not a hand-off (SPEC §2), so COMIMP002, not COMIMP007.
    void NoRevert() { int hr = {|COMIMP002:NativeMethods.CoImpersonateClient()|}; if (hr < 0) return; Work(); }

    // Not reported: an impersonation wrapper, which only starts the impersonation for its caller.
    void Wrapper() { int hr = NativeMethods.CoImpersonateClient(); if (hr < 0) throw new UnauthorizedAccessException(); }
}";
            return Verify.AnalyzerAsync(new[] { Interop, source });
        }

        /// <summary>The 1-based line of <paramref name="source"/> that contains <paramref name="marker"/>.</summary>
        private static int LineOf(string source, string marker) =>
            source.Substring(0, source.IndexOf(marker, StringComparison.Ordinal)).Count(c => c == '\n') + 1;

        /// <summary>Reads a rule page and checks its example and its fix against the analyzer.</summary>
        private static class RulePage
        {
            private static readonly Regex Fence = new Regex(@"^```(?<language>\w*)\s*$");

            private static readonly Regex Printed = new Regex(
                @"^(?<file>[^\s()]+)\((?<line>\d+),(?<column>\d+)\): (?<severity>warning|info|error) (?<id>COMIMP\d{3}): (?<message>.+)$");

            public static async Task VerifyAsync(string id)
            {
                List<Block> blocks = BlocksOf(id);
                Block bad = ExampleOf(blocks);
                Block declarations = DeclarationsOf(blocks);
                Block[] fixes = blocks.Where(b => b.Section == "How to fix" && b.Language == "csharp").ToArray();
                Assert.NotEmpty(fixes);

                (string fileName, List<DiagnosticResult> expected) = PrintedIn(id, blocks, "Example");
                Assert.Contains(expected, d => d.Id == id);

                // The bad example: exactly the printed diagnostics.
                await RunAsync(fileName, bad.Text, declarations.Text, expected);

                // The fix: no diagnostics at all.
                string good = ReplaceMembers(id, bad.Text, fixes);
                await RunAsync(fileName, good, declarations.Text, new List<DiagnosticResult>());
            }

            public static async Task VerifyCodeFixAsync<TFix>(string id)
                where TFix : Microsoft.CodeAnalysis.CodeFixes.CodeFixProvider, new()
            {
                List<Block> blocks = BlocksOf(id);
                Block bad = ExampleOf(blocks);
                Block declarations = DeclarationsOf(blocks);
                Block[] after = blocks.Where(b => b.Section == "Code fix" && b.Language == "csharp").ToArray();
                Assert.True(after.Length > 0, $"{id}.md: '## Code fix' must show the fixed code");
                (string fileName, List<DiagnosticResult> before) = PrintedIn(id, blocks, "Example");

                var test = new VerifyFix.FixTest<TFix>();
                test.TestState.Sources.Add((fileName, bad.Text));
                test.TestState.Sources.Add(("Declarations.cs", declarations.Text));
                test.TestState.ExpectedDiagnostics.AddRange(before);
                test.FixedState.Sources.Add((fileName, ReplaceMembers(id, bad.Text, after)));
                test.FixedState.Sources.Add(("Declarations.cs", declarations.Text));
                // Explicit: the fixed example must have exactly the diagnostics the section prints, none inherited.
                test.FixedState.InheritanceMode = StateInheritanceMode.Explicit;
                test.FixedState.AdditionalReferences.AddRange(TestReferences.Net);
                test.FixedState.ExpectedDiagnostics.AddRange(PrintedIn(id, blocks, "Code fix").Expected);
                await StillImpersonated.VerifyAsync(new[] { declarations.Text }, bad.Text, ReplaceMembers(id, bad.Text, after));
                await test.RunAsync(CancellationToken.None);
            }

            public static void VerifyNoCodeFix(string id)
            {
                Assert.Contains("\n## Code fix\n", PageText(id), StringComparison.Ordinal);
                Assert.DoesNotContain(BlocksOf(id), b => b.Section == "Code fix");
            }

            private static string PageText(string id) =>
                File.ReadAllText(RepositoryPaths.Combine("docs", "rules", id + ".md")).Replace("\r\n", "\n");

            private static List<Block> BlocksOf(string id) => BlocksOfText(PageText(id));

            private static Block ExampleOf(List<Block> blocks) =>
                blocks.First(b => b.Section == "Example" && b.Language == "csharp" && !b.InDetails);

            private static Block DeclarationsOf(List<Block> blocks) =>
                blocks.Single(b => b.Section == "Example" && b.Language == "csharp" && b.InDetails);

            /// <summary>
            /// The diagnostics a section prints (its plain code blocks), each as the compiler prints it, all in one
            /// file; the file is the example's (from "## Example" when the section prints none).
            /// </summary>
            private static (string FileName, List<DiagnosticResult> Expected) PrintedIn(string id, List<Block> blocks, string section)
            {
                var expected = new List<DiagnosticResult>();
                string? fileName = null;
                foreach (string line in blocks.Where(b => b.Section == section && b.Language.Length == 0).SelectMany(b => b.Text.Split('\n')).Where(l => l.Trim().Length > 0))
                {
                    Match match = Printed.Match(line);
                    Assert.True(match.Success, $"{id}.md: not a diagnostic as the compiler prints it: {line}");
                    fileName ??= match.Groups["file"].Value;
                    Assert.Equal(fileName, match.Groups["file"].Value);
                    expected.Add(
                        Verify.Diagnostic(match.Groups["id"].Value, SeverityOf(match.Groups["severity"].Value))
                            .WithLocation(fileName, int.Parse(match.Groups["line"].Value), int.Parse(match.Groups["column"].Value))
                            .WithMessage(match.Groups["message"].Value));
                }

                return (fileName ?? PrintedIn(id, blocks, "Example").FileName, expected);
            }

            /// <summary>
            /// The example with each type or member of <paramref name="blocks"/> in place of the one of the same
            /// name, re-indented to where that one stands (the page shows them flush left).
            /// </summary>
            private static string ReplaceMembers(string id, string source, Block[] blocks)
            {
                foreach (Block block in blocks)
                {
                    var blockRoot = (CompilationUnitSyntax)CSharpSyntaxTree.ParseText(block.Text).GetRoot();
                    IEnumerable<MemberDeclarationSyntax> members = blockRoot.Members.OfType<BaseTypeDeclarationSyntax>().Any()
                        ? blockRoot.Members
                        : ((ClassDeclarationSyntax)((CompilationUnitSyntax)CSharpSyntaxTree.ParseText("class Fix\n{\n" + block.Text + "}\n").GetRoot()).Members[0]).Members;
                    foreach (MemberDeclarationSyntax member in members)
                    {
                        SyntaxNode root = CSharpSyntaxTree.ParseText(source).GetRoot();
                        string name = NameOf(member);
                        MemberDeclarationSyntax[] targets = root.DescendantNodes().OfType<MemberDeclarationSyntax>()
                            .Where(m => m.GetType() == member.GetType() && NameOf(m) == name)
                            .ToArray();
                        Assert.True(targets.Length == 1, $"{id}.md: '{name}' must replace exactly one member of the example, found {targets.Length}");
                        MemberDeclarationSyntax target = targets[0];
                        string indentation = target.GetLeadingTrivia().LastOrDefault(t => t.IsKind(SyntaxKind.WhitespaceTrivia)).ToString();
                        string[] lines = member.ToString().Replace("\r\n", "\n").Split('\n');
                        string text = string.Join("\n", lines.Select((l, i) => i == 0 || l.Length == 0 ? l : indentation + l));
                        source = source.Substring(0, target.SpanStart) + text + source.Substring(target.Span.End);
                    }
                }

                return source;
            }

            private static async Task RunAsync(string fileName, string source, string declarations, List<DiagnosticResult> expected)
            {
                var test = new Verify.AnalyzerTest();
                test.TestState.Sources.Add((fileName, source));
                test.TestState.Sources.Add(("Declarations.cs", declarations));
                test.ExpectedDiagnostics.AddRange(expected);
                await test.RunAsync(CancellationToken.None);
            }

            private static string NameOf(MemberDeclarationSyntax member) => member switch
            {
                BaseTypeDeclarationSyntax type => type.Identifier.ValueText,
                MethodDeclarationSyntax method => method.Identifier.ValueText,
                ConstructorDeclarationSyntax constructor => constructor.Identifier.ValueText,
                _ => throw new InvalidOperationException("A fix may replace only types, methods and constructors: " + member.Kind()),
            };

            private static DiagnosticSeverity SeverityOf(string word) => word switch
            {
                "error" => DiagnosticSeverity.Error,
                "warning" => DiagnosticSeverity.Warning,
                _ => DiagnosticSeverity.Info,
            };

            /// <summary>The fenced code blocks of a page, with the "## " section and whether they are in a &lt;details&gt;.</summary>
            private static List<Block> BlocksOfText(string page)
            {
                var blocks = new List<Block>();
                string section = "";
                bool inDetails = false;
                string? language = null;
                var text = new List<string>();
                foreach (string line in page.Split('\n'))
                {
                    Match fence = Fence.Match(line);
                    if (language is not null)
                    {
                        if (fence.Success && fence.Groups["language"].Value.Length == 0)
                        {
                            blocks.Add(new Block(section, language, inDetails, string.Join("\n", text) + "\n"));
                            language = null;
                            text.Clear();
                        }
                        else
                        {
                            text.Add(line);
                        }

                        continue;
                    }

                    if (fence.Success)
                    {
                        language = fence.Groups["language"].Value;
                    }
                    else if (line.StartsWith("## ", StringComparison.Ordinal))
                    {
                        section = line.Substring(3).Trim();
                    }
                    else if (line.Trim() == "<details>")
                    {
                        inDetails = true;
                    }
                    else if (line.Trim() == "</details>")
                    {
                        inDetails = false;
                    }
                }

                Assert.True(language is null, "unterminated code block");
                return blocks;
            }

            private sealed class Block
            {
                public Block(string section, string language, bool inDetails, string text)
                {
                    Section = section;
                    Language = language;
                    InDetails = inDetails;
                    Text = text;
                }

                public string Section { get; }

                public string Language { get; }

                public bool InDetails { get; }

                public string Text { get; }
            }
        }
    }
}
