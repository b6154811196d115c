using System;
using System.Collections.Immutable;

namespace ComImpersonation.Analyzers.Api
{
    /// <summary>
    /// The recognised APIs, one row per form of SPEC §2. Recognition is by symbol: a COM interface (or vtable struct)
    /// is identified by its <c>[Guid]</c> first and by a known full name second; a P/Invoke by its native entry point
    /// and library. Nothing here matches a method by its name alone.
    /// </summary>
    internal static class ApiTable
    {
        /// <summary>IServerSecurity, the call context's security interface.</summary>
        public static readonly ComInterfaceIdentity IServerSecurity = new ComInterfaceIdentity(
            displayName: "IServerSecurity",
            guids: ImmutableArray.Create(new Guid("0000013E-0000-0000-C000-000000000046")),
            knownFullNames: KnownNamesOf("IServerSecurity"));

        /// <summary>ISynchronize and the interfaces the SDK derives from it (ISynchronizeMutex).</summary>
        public static readonly ComInterfaceIdentity ISynchronize = new ComInterfaceIdentity(
            displayName: "ISynchronize",
            guids: ImmutableArray.Create(
                new Guid("00000030-0000-0000-C000-000000000046"),  // ISynchronize
                new Guid("00000025-0000-0000-C000-000000000046")), // ISynchronizeMutex : ISynchronize
            knownFullNames: KnownNamesOf("ISynchronize").AddRange(KnownNamesOf("ISynchronizeMutex")));

        /// <summary>The libraries that export the COM call-context functions.</summary>
        public static readonly NativeLibraryMatcher ComLibraries = new NativeLibraryMatcher(
            exactNames: ImmutableArray.Create("ole32", "combase"),
            prefixes: ImmutableArray.Create("api-ms-win-core-com-"));

        /// <summary>The libraries that export the Win32 thread-token functions (advapi32 and its API sets).</summary>
        public static readonly NativeLibraryMatcher SecurityLibraries = new NativeLibraryMatcher(
            exactNames: ImmutableArray.Create("advapi32", "kernel32", "kernelbase"),
            prefixes: ImmutableArray.Create("api-ms-win-security-base-", "api-ms-win-core-namedpipe-", "api-ms-win-downlevel-advapi32-"));

        /// <summary>DDE lives in user32.</summary>
        public static readonly NativeLibraryMatcher DdeLibraries = new NativeLibraryMatcher(
            exactNames: ImmutableArray.Create("user32"),
            prefixes: ImmutableArray<string>.Empty);

        /// <summary>SSPI: the security support provider interface (secur32, and sspicli since Windows 7).</summary>
        public static readonly NativeLibraryMatcher SspiLibraries = new NativeLibraryMatcher(
            exactNames: ImmutableArray.Create("secur32", "sspicli", "security"),
            prefixes: ImmutableArray<string>.Empty);

        /// <summary>The NT native API.</summary>
        public static readonly NativeLibraryMatcher NtLibraries = new NativeLibraryMatcher(
            exactNames: ImmutableArray.Create("ntdll"),
            prefixes: ImmutableArray<string>.Empty);

        /// <summary><c>THREADINFOCLASS.ThreadImpersonationToken</c>: the information class that sets a thread's token.</summary>
        public const int ThreadImpersonationToken = 5;

        /// <summary>The full names of NtApiDotNet's and NtCoreLib's impersonation context, whose Revert() or Dispose() ends it.</summary>
        public static readonly ImmutableArray<string> ThreadImpersonationContextTypes = ImmutableArray.Create(
            "NtApiDotNet.ThreadImpersonationContext",
            "NtCoreLib.Utilities.Token.ThreadImpersonationContext");

        /// <summary>NtApiDotNet's and NtCoreLib's thread, whose <c>Current</c> is the calling thread.</summary>
        public static readonly ImmutableArray<string> NtThreadTypes = ImmutableArray.Create("NtApiDotNet.NtThread", "NtCoreLib.NtThread");

        /// <summary>The RPC run-time.</summary>
        public static readonly NativeLibraryMatcher RpcLibraries = new NativeLibraryMatcher(
            exactNames: ImmutableArray.Create("rpcrt4"),
            prefixes: ImmutableArray<string>.Empty);

        /// <summary>Saves the thread's token; <c>SetThreadToken</c> with the saved token restores it (a revert).</summary>
        public const string OpenThreadTokenEntryPoint = "OpenThreadToken";

        public const string WindowsIdentityType = "System.Security.Principal.WindowsIdentity";

        public const string WindowsImpersonationContextType = "System.Security.Principal.WindowsImpersonationContext";

        /// <summary>SPEC §2: a method named Begin_X / Finish_X is an asynchronous call's half; nothing else is required.</summary>
        public const string BeginPrefix = "Begin_";

        public const string FinishPrefix = "Finish_";

        /// <summary>
        /// Every recognised form, one row each: SPEC §2's table (the COM call context), then the other Windows
        /// impersonation APIs (issues 9 and 18), to which only the rules that are not about Signal apply. An
        /// impersonation's row also says how a fix writes its end (<see cref="ImpersonationEnd"/>; the family's
        /// parameterless revert declared beside it unless the row says otherwise) and, from its failure convention,
        /// the check a fix writes (<see cref="FailureCheck"/>): a new family is new rows.
        /// </summary>
        public static readonly ImmutableArray<ApiForm> Forms = ImmutableArray.Create(
            // COM call context: impersonate, revert, signal (also on interfaces derived from ISynchronize)
            ApiForm.ComMethod(ApiOperation.Impersonate, IServerSecurity, "ImpersonateClient"),
            ApiForm.NativeFunction(ApiOperation.Impersonate, ApiFamily.Com, "CoImpersonateClient", ComLibraries, ResultConvention.HResult),
            ApiForm.ComMethod(ApiOperation.Revert, IServerSecurity, "RevertToSelf"),
            ApiForm.NativeFunction(ApiOperation.Revert, ApiFamily.Com, "CoRevertToSelf", ComLibraries, ResultConvention.HResult),
            ApiForm.ComMethod(ApiOperation.Signal, ISynchronize, "Signal"),

            // advapi32 (and user32 for DDE): BOOL results; RevertToSelf, or SetThreadToken with no token, reverts (a fix
            // writes RevertToSelf, or for SetThreadToken in a class without it the same call with no token).
            ApiForm.NativeFunction(ApiOperation.Impersonate, ApiFamily.Win32, "ImpersonateLoggedOnUser", SecurityLibraries, ResultConvention.Win32Bool, tokenArgument: 0, endHarmlessWithoutImpersonation: true),
            ApiForm.NativeFunction(ApiOperation.Impersonate, ApiFamily.Win32, "ImpersonateNamedPipeClient", SecurityLibraries, ResultConvention.Win32Bool, endHarmlessWithoutImpersonation: true),
            ApiForm.NativeFunction(ApiOperation.Impersonate, ApiFamily.Win32, "ImpersonateSelf", SecurityLibraries, ResultConvention.Win32Bool, endHarmlessWithoutImpersonation: true),
            ApiForm.NativeFunction(ApiOperation.Impersonate, ApiFamily.Win32, "ImpersonateAnonymousToken", SecurityLibraries, ResultConvention.Win32Bool, endHarmlessWithoutImpersonation: true),
            ApiForm.NativeFunction(ApiOperation.Impersonate, ApiFamily.Win32, "DdeImpersonateClient", DdeLibraries, ResultConvention.Win32Bool, endHarmlessWithoutImpersonation: true),
            ApiForm.NativeFunction(ApiOperation.Impersonate, ApiFamily.Win32, "SetThreadToken", SecurityLibraries, ResultConvention.Win32Bool, ArgumentRule.NoTokenReverts, threadArgument: 0, tokenArgument: 1, end: ImpersonationEnd.PartnerRevertElseSameCallWithoutToken, endHarmlessWithoutImpersonation: true),
            ApiForm.NativeFunction(ApiOperation.Revert, ApiFamily.Win32, "RevertToSelf", SecurityLibraries, ResultConvention.Win32Bool),

            ApiForm.NativeFunction(ApiOperation.Impersonate, ApiFamily.Win32, "ImpersonateDdeClientWindow", DdeLibraries, ResultConvention.Win32Bool, endHarmlessWithoutImpersonation: true),
            // SSPI: SECURITY_STATUS results (non-zero is failure); the context handle says whose identity, and a fix
            // reverts with RevertSecurityContext on the same handle.
            ApiForm.NativeFunction(ApiOperation.Impersonate, ApiFamily.Sspi, "ImpersonateSecurityContext", SspiLibraries, ResultConvention.RpcStatus, end: ImpersonationEnd.PartnerRevertWithSameArguments, seedsWrapperIndex: false),
            ApiForm.NativeFunction(ApiOperation.Revert, ApiFamily.Sspi, "RevertSecurityContext", SspiLibraries, ResultConvention.RpcStatus, seedsWrapperIndex: false),
            // NT native: NTSTATUS results (negative is failure). NtSetInformationThread sets a thread's token only with
            // ThreadImpersonationToken; a zero token reverts. The thread argument is a handle: the current thread is
            // GetCurrentThread()'s pseudo-handle (-2), not null. A fix ends NtSetInformationThread's impersonation with the
            // same call given a zero token by reference; NtImpersonateThread and NtImpersonateAnonymousToken have no end of
            // their own to write (their revert is NtSetInformationThread with other arguments), so no fix writes one.
            ApiForm.NativeFunction(ApiOperation.Impersonate, ApiFamily.Nt, "NtSetInformationThread", NtLibraries, ResultConvention.NtStatus, ArgumentRule.ThreadImpersonationTokenClass, threadArgument: 0, tokenArgument: 2, ThreadRule.PseudoHandleIsCurrent, ImpersonationEnd.SameCallWithZeroTokenByReference, endHarmlessWithoutImpersonation: true, seedsWrapperIndex: false),
            ApiForm.NativeFunction(ApiOperation.Impersonate, ApiFamily.Nt, "ZwSetInformationThread", NtLibraries, ResultConvention.NtStatus, ArgumentRule.ThreadImpersonationTokenClass, threadArgument: 0, tokenArgument: 2, ThreadRule.PseudoHandleIsCurrent, ImpersonationEnd.SameCallWithZeroTokenByReference, endHarmlessWithoutImpersonation: true, seedsWrapperIndex: false),
            ApiForm.NativeFunction(ApiOperation.Impersonate, ApiFamily.Nt, "NtImpersonateThread", NtLibraries, ResultConvention.NtStatus, ArgumentRule.None, threadArgument: 0, tokenArgument: -1, ThreadRule.PseudoHandleIsCurrent, ImpersonationEnd.None, seedsWrapperIndex: false),
            ApiForm.NativeFunction(ApiOperation.Impersonate, ApiFamily.Nt, "ZwImpersonateThread", NtLibraries, ResultConvention.NtStatus, ArgumentRule.None, threadArgument: 0, tokenArgument: -1, ThreadRule.PseudoHandleIsCurrent, ImpersonationEnd.None, seedsWrapperIndex: false),
            ApiForm.NativeFunction(ApiOperation.Impersonate, ApiFamily.Nt, "NtImpersonateAnonymousToken", NtLibraries, ResultConvention.NtStatus, ArgumentRule.None, threadArgument: 0, tokenArgument: -1, ThreadRule.PseudoHandleIsCurrent, ImpersonationEnd.None, seedsWrapperIndex: false),
            ApiForm.NativeFunction(ApiOperation.Impersonate, ApiFamily.Nt, "ZwImpersonateAnonymousToken", NtLibraries, ResultConvention.NtStatus, ArgumentRule.None, threadArgument: 0, tokenArgument: -1, ThreadRule.PseudoHandleIsCurrent, ImpersonationEnd.None, seedsWrapperIndex: false),
            // rpcrt4: RPC_STATUS results; with no binding handle the call's own thread is impersonated.
            ApiForm.NativeFunction(ApiOperation.Impersonate, ApiFamily.Rpc, "RpcImpersonateClient", RpcLibraries, ResultConvention.RpcStatus, ArgumentRule.NoBindingNeedsDispatchThread),
            ApiForm.NativeFunction(ApiOperation.Revert, ApiFamily.Rpc, "RpcRevertToSelf", RpcLibraries, ResultConvention.RpcStatus),
            ApiForm.NativeFunction(ApiOperation.Revert, ApiFamily.Rpc, "RpcRevertToSelfEx", RpcLibraries, ResultConvention.RpcStatus),

            // .NET: WindowsIdentity.Impersonate() (static and instance) throws on failure; its context undoes it.
            ApiForm.ManagedMethod(ApiOperation.Impersonate, WindowsIdentityType, "Impersonate", ImpersonationEnd.ContextMethod("Undo")),
            ApiForm.ManagedMethod(ApiOperation.Revert, WindowsImpersonationContextType, "Undo"),
            ApiForm.ManagedMethod(ApiOperation.Revert, WindowsImpersonationContextType, "Dispose"),
            // NtApiDotNet / NtCoreLib: every method that returns a ThreadImpersonationContext impersonates (and throws on
            // failure); NtThread's only when called on NtThread.Current. The context's Revert() or Dispose() ends it (a fix
            // disposes it).
            ApiForm.ContextMethod("Impersonate"),
            ApiForm.ContextMethod("ImpersonateThread"),
            ApiForm.ContextMethod("ImpersonateAnonymousToken"),
            ApiForm.ContextMethod("ImpersonateClientOfPort"),
            ApiForm.ContextMethod("ImpersonateClientContainerOfPort"),
            ApiForm.ContextRevert("Revert"),
            ApiForm.ContextRevert("Dispose"));

        /// <summary>
        /// Words one of which every source file that declares or calls a recognised native or .NET form must
        /// contain (entry points, renamed or not, and the .NET method names): the compilation-start text gate.
        /// </summary>
        public static readonly ImmutableArray<string> GateWords = DeriveGateWords();

        /// <summary>The native functions that set many kinds of information, of which one impersonates (by its class argument).</summary>
        public static readonly ImmutableHashSet<string> InformationClassFunctions = DeriveInformationClassFunctions();

        private static ImmutableHashSet<string> DeriveInformationClassFunctions()
        {
            var names = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
            foreach (ApiForm form in Forms)
            {
                if (form.ArgumentRule == ArgumentRule.ThreadImpersonationTokenClass)
                {
                    names.Add(form.Name);
                }
            }

            return names.ToImmutable();
        }

        /// <summary>
        /// The shortest list of words such that every row's name contains one: "Impersonat" covers most impersonations,
        /// and each other name (RevertToSelf, SetThreadToken, NtSetInformationThread, RevertSecurityContext…) is its own
        /// word unless one already listed is part of it. A new row brings its word with it.
        /// </summary>
        private static ImmutableArray<string> DeriveGateWords()
        {
            var words = ImmutableArray.CreateBuilder<string>();
            words.Add("Impersonat");
            foreach (ApiForm form in Forms)
            {
                if (form.Kind is ApiFormKind.ComMethod or ApiFormKind.ContextMethod)
                {
                    continue; // COM interfaces and NtApiDotNet pass by their names or by "Impersonat"
                }

                bool covered = false;
                foreach (string word in words)
                {
                    covered |= form.Name.IndexOf(word, StringComparison.Ordinal) >= 0;
                }

                if (!covered && form.Operation != ApiOperation.Signal && !(form.Kind == ApiFormKind.ManagedMethod && form.Operation == ApiOperation.Revert))
                {
                    words.Add(form.Name);
                }
            }

            return words.ToImmutable();
        }

        /// <summary>
        /// Methods that run a delegate under an impersonation and revert when it returns. Given an async delegate
        /// whose Task is dropped, the work after its first await is not awaited under the impersonation; each row
        /// names the method to use instead.
        /// </summary>
        public static readonly ImmutableArray<ImpersonatedRunner> ImpersonatedRunners = ImmutableArray.Create(
            new ImpersonatedRunner(WindowsIdentityType, "RunImpersonated", "RunImpersonatedAsync"));

        /// <summary>
        /// APIs that run a delegate on another thread (SPEC §3, COMIMP006 a): a thread-pool or dedicated thread that
        /// has no COM call context, so impersonating there can never reach the client. ".ctor" names a constructor.
        /// </summary>
        public static readonly ImmutableArray<ThreadHandoff> ThreadHandoffs = ImmutableArray.Create(
            new ThreadHandoff("System.Threading.Tasks.Task", "Run"),
            new ThreadHandoff("System.Threading.Tasks.Task", "ContinueWith"),
            new ThreadHandoff("System.Threading.Tasks.TaskFactory", "StartNew"),
            new ThreadHandoff("System.Threading.ThreadPool", "QueueUserWorkItem"),
            new ThreadHandoff("System.Threading.ThreadPool", "UnsafeQueueUserWorkItem"),
            new ThreadHandoff("System.Threading.Thread", ".ctor"),
            new ThreadHandoff("System.Threading.Timer", ".ctor"),
            new ThreadHandoff("System.Threading.Tasks.Parallel", "For"),
            new ThreadHandoff("System.Threading.Tasks.Parallel", "ForEach"),
            new ThreadHandoff("System.Threading.Tasks.Parallel", "ForAsync"),
            new ThreadHandoff("System.Threading.Tasks.Parallel", "ForEachAsync"),
            new ThreadHandoff("System.Threading.Tasks.Parallel", "Invoke"));

        /// <summary>
        /// Calls that act on an HRESULT and throw only when it says failure (SPEC §2 "Results"). When one throws,
        /// the impersonation it checks did not happen, so such a call is not a point where an exception can leave
        /// the thread impersonating.
        /// </summary>
        public static readonly ImmutableArray<string> ThrowOnFailureMethods = ImmutableArray.Create(
            MarshalThrowMethod, "ThrowIfFailed", "ThrowOnFailure", "ThrowIfError", "FAILED", "SUCCEEDED", "ThrowLastErrorIfFalse");

        /// <summary>
        /// The HRESULT structs' own throw-on-failure methods, in order of preference: CsWin32's
        /// <c>ThrowOnFailure()</c>, Vanara's <c>ThrowIfFailed()</c>. A statement calling one of these or
        /// <c>Marshal.ThrowExceptionForHR</c> is a failure check; "Throw on failure" writes them.
        /// </summary>
        public static readonly ImmutableArray<string> HResultThrowMethods = ImmutableArray.Create("ThrowOnFailure", "ThrowIfFailed");

        public const string MarshalThrowMethod = "ThrowExceptionForHR";

        /// <summary>
        /// Calls that read the error of a failed call (matched by name): acting on an impersonation's result, not
        /// work done as the client, and never a point where an exception can leave the thread impersonating.
        /// </summary>
        public static readonly ImmutableArray<string> ErrorQueryMethods = ImmutableArray.Create(
            "GetLastWin32Error", "GetLastPInvokeError", "GetLastSystemError", "GetHRForLastWin32Error", "GetLastError", "GetExceptionForHR", "GetHRForException");

        /// <summary>The native function that reports the current thread's pseudo-handle.</summary>
        public const string GetCurrentThreadEntryPoint = "GetCurrentThread";

        /// <summary>
        /// <c>WindowsIdentity.GetCurrent()</c> (and with access levels) never returns null: a null test of a value it
        /// gave has no null branch. <c>GetCurrent(true)</c> does return null when the thread does not impersonate.
        /// </summary>
        public const string GetCurrentMethod = "GetCurrent";

        /// <summary>The methods that end what a returned or stored context or scope object holds (SPEC §2 hand-offs).</summary>
        public static readonly ImmutableArray<string> EndMethods = ImmutableArray.Create("Dispose", "Undo", "Revert");

        private static ImmutableArray<string> KnownNamesOf(string interfaceName) => ImmutableArray.Create(
            "Vanara.PInvoke.Ole32." + interfaceName,
            "Windows.Win32.System.Com." + interfaceName,
            "Microsoft.VisualStudio.OLE.Interop." + interfaceName,
            "TerraFX.Interop.Windows." + interfaceName,
            "Silk.NET.Core.Win32Extras." + interfaceName);
    }

    /// <summary>A COM interface as the table knows it: its IIDs and the full names interop libraries give it.</summary>
    internal sealed class ComInterfaceIdentity
    {
        public ComInterfaceIdentity(string displayName, ImmutableArray<Guid> guids, ImmutableArray<string> knownFullNames)
        {
            DisplayName = displayName;
            Guids = guids;
            KnownFullNames = knownFullNames;
        }

        public string DisplayName { get; }

        public ImmutableArray<Guid> Guids { get; }

        public ImmutableArray<string> KnownFullNames { get; }
    }

    /// <summary>Matches a P/Invoke's library name: <c>ole32</c>, <c>OLE32.dll</c>, <c>api-ms-win-core-com-l1-1-0.dll</c>.</summary>
    internal sealed class NativeLibraryMatcher
    {
        private readonly ImmutableArray<string> _exactNames;
        private readonly ImmutableArray<string> _prefixes;

        public NativeLibraryMatcher(ImmutableArray<string> exactNames, ImmutableArray<string> prefixes)
        {
            _exactNames = exactNames;
            _prefixes = prefixes;
        }

        public bool Matches(string? library)
        {
            if (string.IsNullOrEmpty(library))
            {
                return false;
            }

            string name = library!.Trim();
            int slash = Math.Max(name.LastIndexOf('/'), name.LastIndexOf('\\'));
            if (slash >= 0)
            {
                name = name.Substring(slash + 1);
            }

            if (name.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            {
                name = name.Substring(0, name.Length - 4);
            }

            foreach (string exact in _exactNames)
            {
                if (string.Equals(name, exact, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }

            foreach (string prefix in _prefixes)
            {
                if (name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>A method that runs a delegate impersonated (<c>WindowsIdentity.RunImpersonated</c>) and its async counterpart.</summary>
    internal sealed class ImpersonatedRunner
    {
        public ImpersonatedRunner(string typeName, string methodName, string asyncMethodName)
        {
            TypeName = typeName;
            MethodName = methodName;
            AsyncMethodName = asyncMethodName;
        }

        public string TypeName { get; }

        public string MethodName { get; }

        public string AsyncMethodName { get; }
    }

    /// <summary>A method (or constructor) that hands its delegate arguments to another thread.</summary>
    internal sealed class ThreadHandoff
    {
        public ThreadHandoff(string typeName, string methodName)
        {
            TypeName = typeName;
            MethodName = methodName;
        }

        /// <summary>The containing type's full name without generic parameters (Task covers Task&lt;TResult&gt;).</summary>
        public string TypeName { get; }

        public string MethodName { get; }
    }
}
