using System.Linq;
using System.Threading.Tasks;
using ComImpersonation.Analyzers.Tests.Infrastructure;
using Xunit;

namespace ComImpersonation.Analyzers.Tests.Rules
{
    /// <summary>
    /// COMIMP006 (SPEC §1, §3): impersonation off the call's thread: (a) inside a lambda, anonymous method or local
    /// function handed to an API that runs it on another thread, including by method group; (b) after an await on some
    /// path; (c) still active across an await. Reported at the impersonation call; for an ordinary method handed over
    /// as a method group, at the method-group argument (ImpersonationOffThreadRule.ReportMethodGroup).
    /// </summary>
    public class Comimp006Tests
    {
        private const string Id = "COMIMP006";

        /// <summary>What the message adds for an impersonation of a call context (COM, or RPC with no binding handle).</summary>
        internal const string CallContextNote = "; the call context exists only on the thread that dispatches the call";

        /// <summary>Statements that hand <c>BODY</c> (as a lambda, anonymous method or local function) to a thread API.</summary>
        private static readonly (string Name, string Code)[] DelegateHandoffs =
        {
            ("Task.Run lambda", "Task.Run(() => { BODY });"),
            ("Task.Run anonymous method", "Task.Run(delegate { BODY });"),
            ("Task.Run local function", "Task.Run(AsClient); void AsClient() { BODY }"),
            ("Task.Factory.StartNew", "Task.Factory.StartNew(() => { BODY });"),
            ("new TaskFactory().StartNew", "new TaskFactory().StartNew(() => { BODY });"),
            ("ContinueWith", "Task.Delay(10).ContinueWith(previous => { BODY });"),
            ("ThreadPool.QueueUserWorkItem", "ThreadPool.QueueUserWorkItem(_ => { BODY });"),
            ("ThreadPool.UnsafeQueueUserWorkItem", "ThreadPool.UnsafeQueueUserWorkItem(_ => { BODY }, null);"),
            ("new Thread lambda", "new Thread(() => { BODY }).Start();"),
            ("new Thread local function", "var thread = new Thread(AsClient); thread.Start(); void AsClient() { BODY }"),
            ("new Timer", "var timer = new Timer(_ => { BODY }, null, 0, Timeout.Infinite); GC.KeepAlive(timer);"),
            ("new System.Threading.Timer anonymous method", "_ = new System.Threading.Timer(delegate { BODY }, null, 0, Timeout.Infinite);"),
            ("Parallel.For", "Parallel.For(0, 4, i => { BODY });"),
            ("Parallel.ForEach", "Parallel.ForEach(new[] { 1, 2 }, item => { BODY });"),
            ("Parallel.Invoke", "Parallel.Invoke(() => { BODY }, () => Work());"),
        };

        /// <summary>Statements that hand an ordinary method (<c>AsClient…</c>, which impersonates correctly) to a thread API as a method group.</summary>
        private static readonly (string Name, string Code)[] MethodGroupHandoffs =
        {
            ("Task.Run", "Task.Run(«AsClient»);"),
            ("Task.Run this.", "Task.Run(«this.AsClient»);"),
            ("Task.Factory.StartNew", "Task.Factory.StartNew(«AsClient»);"),
            ("ContinueWith", "Task.Delay(10).ContinueWith(«AsClientAfter»);"),
            ("ThreadPool.QueueUserWorkItem", "ThreadPool.QueueUserWorkItem(«AsClientWithState»);"),
            ("ThreadPool.UnsafeQueueUserWorkItem", "ThreadPool.UnsafeQueueUserWorkItem(«AsClientWithState», null);"),
            ("new Thread", "new Thread(«AsClient»).Start();"),
            ("new Timer", "var timer = new Timer(«AsClientWithState», null, 0, Timeout.Infinite); GC.KeepAlive(timer);"),
            ("Parallel.For", "Parallel.For(0, 4, «AsClientAt»);"),
            ("Parallel.ForEach", "Parallel.ForEach(new[] { 1, 2 }, «AsClientAt»);"),
            ("Parallel.Invoke", "Parallel.Invoke(«AsClient», Work);"),
        };

        public static TheoryData<string> DelegateHandoffNames => Names(DelegateHandoffs);

        public static TheoryData<string> MethodGroupHandoffNames => Names(MethodGroupHandoffs);

        // -------------------------------------------------------------------------------------------------------
        // (a) Delegates handed to another thread
        // -------------------------------------------------------------------------------------------------------

        /// <summary>Every hand-off API, one flavour: a failure names the API.</summary>
        [Theory]
        [MemberData(nameof(DelegateHandoffNames))]
        public Task Delegate_handed_to_a_thread_api_is_reported_at_the_impersonation(string handoff)
        {
            Flavour f = RuleCode.Get("ComImport");
            return RuleCode.VerifyAsync(f, DelegateMethod(f, "Begin_Work", Code(DelegateHandoffs, handoff)));
        }

        /// <summary>Every flavour, every hand-off API (one method each, in one compilation per flavour).</summary>
        [Theory]
        [MemberData(nameof(RuleCode.AllNames), MemberType = typeof(RuleCode))]
        public Task Delegates_handed_to_thread_apis_are_reported_in_every_flavour(string name)
        {
            Flavour f = RuleCode.Get(name);
            string members = string.Join("\n", DelegateHandoffs.Select((h, i) => DelegateMethod(f, "Begin_Work" + i, h.Code)));
            return RuleCode.VerifyAsync(f, members);
        }

        [Fact]
        public Task Message_names_the_api_that_impersonates_and_the_hand_off()
        {
            Flavour f = RuleCode.Get("DllImport.ole32");
            string members = $$"""
                    public void Begin_Work()
                    {
                        {|#1:ThreadPool.QueueUserWorkItem|}(_ =>
                        {
                            {{f.ImpersonateChecked("{|#0:" + f.Impersonate + "|}")}}
                            try { Work(); } finally { {{f.RevertStatement}} }
                        });
                    }
                """;
            return RuleCode.VerifyAsync(
                f,
                members,
                Verify.DiagnosticWithRelated(Id).WithLocation(0).WithLocation(1).WithArguments(
                    "CoImpersonateClient",
                    "in a delegate handed to 'ThreadPool.QueueUserWorkItem' (line " + Flavours.LineOf(RuleCode.Class(f, members), "{|#1:") + "), which runs it on another thread" + CallContextNote,
                    ""));
        }

        /// <summary>
        /// A lambda kept in a local and then handed over is still "handed to something that runs it on another
        /// thread" (SPEC §3 COMIMP006 a).
        /// </summary>
        [Theory]
        [InlineData("ComImport")]
        [InlineData("DllImport.ole32")]
        [InlineData("CsWin32.Com")]
        public Task Lambda_handed_over_through_a_local_is_reported(string name)
        {
            Flavour f = RuleCode.Get(name);
            return RuleCode.VerifyAsync(f, $$"""
                    public void Begin_Work()
                    {
                        Action asClient = () =>
                        {
                            {{f.ImpersonateChecked(f.Imp(Id))}}
                            try { Work(); } finally { {{f.RevertStatement}} }
                        };
                        Task.Run(asClient);
                    }
                """);
        }

        /// <summary>
        /// An impersonation in a lambda or local function nested inside the delegate that is handed over is still
        /// inside that delegate, and runs on the worker thread.
        /// </summary>
        [Theory]
        [InlineData("ComImport")]
        [InlineData("DllImport.ole32")]
        [InlineData("TerraFX")]
        public Task Impersonation_nested_inside_the_handed_over_delegate_is_reported(string name)
        {
            Flavour f = RuleCode.Get(name);
            string body = f.ImpersonateChecked(f.Imp(Id)) + " try { Work(); } finally { " + f.RevertStatement + " }";
            return RuleCode.VerifyAsync(f, $$"""
                    public void Begin_Work()
                    {
                        Task.Run(() =>
                        {
                            Action asClient = () => { {{body}} };
                            asClient();
                            AsClientLocal();

                            void AsClientLocal() { {{body}} }
                        });
                    }
                """);
        }

        [Theory]
        [MemberData(nameof(MethodGroupHandoffNames))]
        public Task Ordinary_method_group_handed_to_a_thread_api_is_reported_at_the_argument(string handoff)
        {
            Flavour f = RuleCode.Get("ComImport");
            return RuleCode.VerifyAsync(f, MethodGroupMembers(f, Marked(Code(MethodGroupHandoffs, handoff))));
        }

        [Theory]
        [MemberData(nameof(RuleCode.AllNames), MemberType = typeof(RuleCode))]
        public Task Ordinary_method_groups_are_reported_at_the_argument_in_every_flavour(string name)
        {
            Flavour f = RuleCode.Get(name);
            return RuleCode.VerifyAsync(f, MethodGroupMembers(f, MethodGroupHandoffs.Select(h => Marked(h.Code)).ToArray()));
        }

        /// <summary>Each hand-off of the same method is a hand-off of its own, reported at its own argument.</summary>
        [Fact]
        public Task Same_method_handed_over_twice_is_reported_at_each_argument()
        {
            Flavour f = RuleCode.Get("ComImport");
            return RuleCode.VerifyAsync(f, MethodGroupMembers(f, Marked("Task.Run(«AsClient»);\n        new Thread(«AsClient»).Start();")));
        }

        [Fact]
        public Task Method_group_message_names_the_method_the_api_and_the_hand_off()
        {
            Flavour f = RuleCode.Get("ComImport");
            string source = RuleCode.Class(f, MethodGroupMembers(f, "new Thread({|#0:AsClient|}).Start();"));
            int line = Flavours.LineOf(source, f.Impersonate);
            return Verify.AnalyzerAsync(
                f.Sources(source),
                Verify.Diagnostic(Id).WithLocation(0).WithArguments(
                    "AsClient",
                    "the client (IServerSecurity.ImpersonateClient, line " + line + ") but is handed to 'new Thread', which runs it on another thread" + CallContextNote,
                    ""));
        }

        /// <summary>The call object is often partial: the method handed over may be declared in another file.</summary>
        [Theory]
        [InlineData("ComImport")]
        [InlineData("DllImport.ole32")]
        public Task Method_group_declared_in_another_file_is_reported_at_the_argument(string name)
        {
            Flavour f = RuleCode.Get(name);
            string handing = $$"""
                    public void Begin_Work()
                    {
                        ThreadPool.QueueUserWorkItem({|{{Id}}:AsClientWithState|});
                    }
                """;
            string declaring = $$"""
                    private void AsClientWithState(object state)
                    {
                        {{f.ImpersonateChecked(f.Impersonate)}}
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }
                """;
            return Verify.AnalyzerAsync(f.Sources(RuleCode.Class(f, handing), RuleCode.Class(f, declaring, declareFields: false)));
        }

        // -------------------------------------------------------------------------------------------------------
        // (b) After an await, (c) active across an await
        // -------------------------------------------------------------------------------------------------------

        [Theory]
        [MemberData(nameof(RuleCode.AllNames), MemberType = typeof(RuleCode))]
        public Task Impersonation_after_an_await_is_reported(string name)
        {
            Flavour f = RuleCode.AwaitFriendly(RuleCode.Get(name));
            string members = $$"""
                    public async Task Begin_Work()
                    {
                        {|#1:await Task.Yield()|};
                        {{f.ImpersonateChecked("{|#0:" + f.Impersonate + "|}")}}
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }
                """;
            return RuleCode.VerifyAsync(
                f,
                members,
                Verify.DiagnosticWithRelated(Id).WithLocation(0).WithLocation(1).WithArguments(
                    f.ImpersonateName,
                    "after the 'await' at line " + Flavours.LineOf(RuleCode.Class(f, members), "{|#1:") + ", which may resume on another thread" + CallContextNote,
                    ""));
        }

        [Theory]
        [MemberData(nameof(RuleCode.AllNames), MemberType = typeof(RuleCode))]
        public Task Impersonation_after_an_await_on_only_one_path_is_reported(string name)
        {
            Flavour f = RuleCode.AwaitFriendly(RuleCode.Get(name));
            return RuleCode.VerifyAsync(f, $$"""
                    public async Task Begin_OneBranch()
                    {
                        if (_flag)
                        {
                            await Task.Delay(10).ConfigureAwait(false);
                        }

                        {{f.ImpersonateChecked(f.Imp(Id))}}
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }

                    public async Task Begin_Switch()
                    {
                        switch (_mode)
                        {
                            case 1:
                                await Task.Yield();
                                break;
                            default:
                                Work();
                                break;
                        }

                        {{f.ImpersonateChecked(f.Imp(Id))}}
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }

                    // The second iteration impersonates after the first iteration's await.
                    public async Task Begin_Loop()
                    {
                        for (int i = 0; i < 3; i++)
                        {
                            {{f.ImpersonateChecked(f.Imp(Id))}}
                            try { Work(); } finally { {{f.RevertStatement}} }
                            await Task.Delay(10);
                        }
                    }
                """);
        }

        [Theory]
        [MemberData(nameof(RuleCode.AllNames), MemberType = typeof(RuleCode))]
        public Task Impersonation_active_across_an_await_is_reported(string name)
        {
            Flavour f = RuleCode.AwaitFriendly(RuleCode.Get(name));
            string source = RuleCode.Class(f, $$"""
                    public async Task Begin_Work()
                    {
                        {{f.ImpersonateChecked("{|#0:" + f.Impersonate + "|}")}}
                        try
                        {
                            await Task.Delay(10);
                        }
                        finally
                        {
                            {{f.RevertStatement}}
                        }
                    }
                """);
            int awaitLine = Flavours.LineOf(source, "await Task.Delay(10);");
            return Verify.AnalyzerAsync(
                f.Sources(source),
                Verify.Diagnostic(Id).WithLocation(0).WithArguments(
                    f.ImpersonateName,
                    "and stays active across the 'await' at line " + awaitLine + ": the revert may run on another thread while this one keeps the impersonated token" + CallContextNote,
                    ""));
        }

        [Theory]
        [MemberData(nameof(RuleCode.AllNames), MemberType = typeof(RuleCode))]
        public Task Impersonation_active_across_an_await_on_one_path_is_reported(string name)
        {
            Flavour f = RuleCode.AwaitFriendly(RuleCode.Get(name));
            return RuleCode.VerifyAsync(f, $$"""
                    public async Task<int> Begin_Work()
                    {
                        {{f.ImpersonateOrThrow(f.Imp(Id))}}
                        try
                        {
                            if (_flag)
                            {
                                return await Task.FromResult(_mode);
                            }

                            Work();
                            return 0;
                        }
                        finally
                        {
                            {{f.RevertStatement}}
                        }
                    }
                """);
        }

        // -------------------------------------------------------------------------------------------------------
        // Quiet
        // -------------------------------------------------------------------------------------------------------

        [Theory]
        [MemberData(nameof(RuleCode.AllNames), MemberType = typeof(RuleCode))]
        public Task Correct_code_around_threads_and_awaits_is_quiet(string name)
        {
            Flavour f = RuleCode.AwaitFriendly(RuleCode.Get(name));
            string checkedImp = f.ImpersonateChecked(f.Impersonate);
            string revert = f.RevertStatement;
            string body = checkedImp + " try { Work(); } finally { " + revert + " }";
            return RuleCode.VerifyAsync(f, $$"""
                    private Action _pending;

                    private sealed class Scheduler
                    {
                        public void Run(Action action) => action();

                        public static void StartNew(Action action) => action();
                    }

                    // Same names as System.Threading.Timer and System.Threading.Tasks.Parallel, but synchronous.
                    private sealed class Timer
                    {
                        public Timer(Action callback) => callback();
                    }

                    private static class Parallel
                    {
                        public static void Invoke(Action action) => action();
                    }

                    // Captures what it needs as the client, on the call's thread; the worker does not impersonate.
                    public void Begin_CaptureThenHandOff()
                    {
                        string user;
                        {{checkedImp}}
                        try { user = Environment.UserName; } finally { {{revert}} }
                        Task.Run(() => Log(user));
                        ThreadPool.QueueUserWorkItem(_ => Log(user));
                        new Thread(() => Log(user)).Start();
                    }

                    public async Task Begin_ImpersonateRevertThenAwait()
                    {
                        {{checkedImp}}
                        try { Work(); } finally { {{revert}} }
                        await Task.Delay(10);
                        Work();
                    }

                    public async Task Begin_AwaitInALambdaOnly()
                    {
                        Func<Task> later = async () => await Task.Delay(10);
                        {{checkedImp}}
                        try { Work(); } finally { {{revert}} }
                        await later();
                    }

                    public void Begin_InvokedSynchronously()
                    {
                        Action asClient = () => { {{body}} };
                        asClient();
                        AsClientLocal();
                        Array.ForEach(new[] { 1, 2 }, _ => { {{body}} });

                        void AsClientLocal() { {{body}} }
                    }

                    public void Begin_StoredOnly()
                    {
                        _pending = () => { {{body}} };
                    }

                    public void Begin_UserTypesWithThreadApiNames()
                    {
                        new Scheduler().Run(() => { {{body}} });
                        new Scheduler().Run(AsClient);
                        Scheduler.StartNew(() => { {{body}} });
                        _ = new Timer(() => { {{body}} });
                        _ = new Timer(AsClient);
                        Parallel.Invoke(() => { {{body}} });
                        Parallel.Invoke(AsClient);
                    }

                    public void Begin_HandOffWithoutImpersonation()
                    {
                        {{checkedImp}}
                        try { Work(); } finally { {{revert}} }
                        Task.Run(Work);
                        ThreadPool.QueueUserWorkItem(Log);
                        new Thread(Work).Start();
                    }

                    private void AsClient()
                    {
                        {{body}}
                    }
                """);
        }

        // -------------------------------------------------------------------------------------------------------

        private static string DelegateMethod(Flavour f, string methodName, string handoff)
        {
            string body = f.ImpersonateChecked(f.Imp(Id)) + " try { Work(); } finally { " + f.RevertStatement + " }";
            return $$"""
                    public void {{methodName}}()
                    {
                        {{handoff.Replace("BODY", body)}}
                    }

                """;
        }

        /// <summary>One <c>Begin_WorkN</c> method per hand-off (each its own code block), and the methods handed over.</summary>
        private static string MethodGroupMembers(Flavour f, params string[] handoffs)
        {
            string body = f.ImpersonateChecked(f.Impersonate) + "\n        try { Work(); } finally { " + f.RevertStatement + " }";
            string methods = string.Concat(handoffs.Select((h, i) => $$"""
                    public void Begin_Work{{i}}()
                    {
                        {{h}}
                    }

                """));
            return methods + $$"""
                    private void AsClient()
                    {
                        {{body}}
                    }

                    private void AsClientWithState(object state)
                    {
                        {{body}}
                    }

                    private void AsClientAfter(Task previous)
                    {
                        {{body}}
                    }

                    private void AsClientAt(int index)
                    {
                        {{body}}
                    }
                """;
        }

        /// <summary>Turns <c>«x»</c> into markup for a COMIMP006 diagnostic on <c>x</c>.</summary>
        private static string Marked(string code) => code.Replace("«", "{|" + Id + ":").Replace("»", "|}");

        private static string Code((string Name, string Code)[] table, string name) =>
            table.Single(h => h.Name == name).Code;

        private static TheoryData<string> Names((string Name, string Code)[] table)
        {
            var data = new TheoryData<string>();
            foreach ((string name, _) in table)
            {
                data.Add(name);
            }

            return data;
        }
    }
}
