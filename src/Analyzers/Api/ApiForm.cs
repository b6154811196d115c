namespace ComImpersonation.Analyzers.Api
{
    /// <summary>
    /// One row of the table: an operation and the one way of reaching it that this row describes, with everything
    /// family-specific about it: how it is recognised (kind, name, libraries or interface), what its arguments say,
    /// how it reports failure, and for an impersonation how a fix writes its end and checks its result.
    /// </summary>
    internal sealed class ApiForm
    {
        private ApiForm(ApiOperation operation, ApiFormKind kind, ApiFamily family, string name, ComInterfaceIdentity? comInterface, NativeLibraryMatcher? libraries, string? typeName, ResultConvention convention, ArgumentRule argumentRule, ImpersonationEnd end, int threadArgument = -1, int tokenArgument = -1, ThreadRule threadRule = ThreadRule.NullIsCurrent, bool endHarmlessWithoutImpersonation = false, bool seedsWrapperIndex = true)
        {
            SeedsWrapperIndex = seedsWrapperIndex;
            EndHarmlessWithoutImpersonation = operation == ApiOperation.Impersonate && endHarmlessWithoutImpersonation;
            ThreadRule = threadRule;
            ThreadArgument = threadArgument;
            TokenArgument = tokenArgument;
            Operation = operation;
            Kind = kind;
            Family = family;
            Name = name;
            ComInterface = comInterface;
            Libraries = libraries;
            TypeName = typeName;
            Convention = convention;
            ArgumentRule = argumentRule;
            End = operation == ApiOperation.Impersonate ? end : ImpersonationEnd.None;
            Check = CheckOf(convention);
        }

        public ApiOperation Operation { get; }

        public ApiFormKind Kind { get; }

        public ApiFamily Family { get; }

        /// <summary>The COM method name, the native entry point, or the .NET method name.</summary>
        public string Name { get; }

        /// <summary>The name the Windows documentation gives it: <c>IServerSecurity.RevertToSelf</c>, <c>CoRevertToSelf</c> (whatever the P/Invoke is called).</summary>
        public string DocumentedName => ComInterface is { } com ? com.DisplayName + "." + Name : Name;

        public ComInterfaceIdentity? ComInterface { get; }

        public NativeLibraryMatcher? Libraries { get; }

        /// <summary>For a .NET method: its type's full name.</summary>
        public string? TypeName { get; }

        /// <summary>How the function reports failure, which with the declared return type gives the result's shape.</summary>
        public ResultConvention Convention { get; }

        /// <summary>Whether an argument changes what the call does.</summary>
        public ArgumentRule ArgumentRule { get; }

        /// <summary>For an impersonation: how a fix writes its end (<see cref="ImpersonationEnd.None"/> for other rows).</summary>
        public ImpersonationEnd End { get; }

        /// <summary>
        /// For an impersonation: its end succeeds, and changes nothing, on a thread that does not impersonate
        /// (<c>RevertToSelf</c>, a thread token set to none). A fix may then also end the paths on which the
        /// impersonation failed and the code went on (<c>if (!ImpersonateNamedPipeClient(pipe)) { Log(…); }</c>).
        /// Not so for an end that fails there (and, as the fixes write it, would stop the process).
        /// </summary>
        public bool EndHarmlessWithoutImpersonation { get; }

        /// <summary>
        /// Whether the wrapper-name index grows from this row's name (<see cref="ApiModel.IndexSeeds"/>). Not for the SSPI
        /// and NT native rows: a code base that implements them (NtCoreLib) would grow the index, which goes by name,
        /// through half its code. Their direct calls are still analysed.
        /// </summary>
        public bool SeedsWrapperIndex { get; }

        /// <summary>
        /// For an impersonation: the value the call returns ends it (<c>WindowsIdentity.Impersonate()</c>'s context,
        /// NtApiDotNet's <c>ThreadImpersonationContext</c>), so returning or storing that value hands it off.
        /// </summary>
        public bool EndedByItsValue => Operation == ApiOperation.Impersonate && Kind is ApiFormKind.ManagedMethod or ApiFormKind.ContextMethod;

        /// <summary>The check a fix writes on this row's result, from its failure convention.</summary>
        public FailureCheck Check { get; }

        /// <summary>
        /// The ordinal of the thread whose token the call sets, or -1: only a null thread or the current thread's
        /// pseudo-handle makes it an impersonation of the calling thread (SPEC §2 "Beyond COM").
        /// </summary>
        public int ThreadArgument { get; }

        /// <summary>Which thread argument names the calling thread.</summary>
        public ThreadRule ThreadRule { get; }

        /// <summary>
        /// The ordinal of the token the call puts on the thread, or -1: a token saved from the thread before (by
        /// <c>OpenThreadToken</c>) restores the earlier identity instead of starting an impersonation.
        /// </summary>
        public int TokenArgument { get; }

        /// <summary>A method of a COM interface in every flavour: <c>[ComImport]</c>, <c>[GeneratedComInterface]</c>, vtable structs; also on derived interfaces.</summary>
        /// <remarks>An impersonation is ended by the interface's own revert on the same receiver.</remarks>
        public static ApiForm ComMethod(ApiOperation operation, ComInterfaceIdentity comInterface, string methodName) =>
            new ApiForm(operation, ApiFormKind.ComMethod, ApiFamily.Com, methodName, comInterface, libraries: null, typeName: null, ResultConvention.HResult, ArgumentRule.None, ImpersonationEnd.PartnerRevert);

        /// <summary>A <c>[DllImport]</c> or <c>[LibraryImport]</c> method whose native entry point is <paramref name="entryPoint"/>.</summary>
        /// <remarks>An impersonation is ended by the family's parameterless revert declared beside it unless <paramref name="end"/> says otherwise.</remarks>
        public static ApiForm NativeFunction(ApiOperation operation, ApiFamily family, string entryPoint, NativeLibraryMatcher libraries, ResultConvention convention, ArgumentRule argumentRule = ArgumentRule.None, int threadArgument = -1, int tokenArgument = -1, ThreadRule threadRule = ThreadRule.NullIsCurrent, ImpersonationEnd? end = null, bool endHarmlessWithoutImpersonation = false, bool seedsWrapperIndex = true) =>
            new ApiForm(operation, ApiFormKind.NativeFunction, family, entryPoint, comInterface: null, libraries, typeName: null, convention, argumentRule, end ?? ImpersonationEnd.PartnerRevert, threadArgument, tokenArgument, threadRule, endHarmlessWithoutImpersonation, seedsWrapperIndex);

        /// <summary>A method of NtApiDotNet / NtCoreLib that returns a <c>ThreadImpersonationContext</c> (any type, any overload).</summary>
        /// <remarks>Ended by disposing the context it returned (its <c>Dispose()</c> reverts, as a <c>using</c> would).</remarks>
        public static ApiForm ContextMethod(string methodName) =>
            new ApiForm(ApiOperation.Impersonate, ApiFormKind.ContextMethod, ApiFamily.NtObjectManager, methodName, comInterface: null, libraries: null, typeName: null, ResultConvention.Throws, ArgumentRule.None, ImpersonationEnd.ContextMethod("Dispose"));

        /// <summary>A method of the <c>ThreadImpersonationContext</c> that ends it.</summary>
        public static ApiForm ContextRevert(string methodName) =>
            new ApiForm(ApiOperation.Revert, ApiFormKind.ContextMethod, ApiFamily.NtObjectManager, methodName, comInterface: null, libraries: null, typeName: null, ResultConvention.Throws, ArgumentRule.None, ImpersonationEnd.None);

        /// <summary>A method of a .NET type, identified by the type's full name (any overload); it throws on failure.</summary>
        public static ApiForm ManagedMethod(ApiOperation operation, string typeName, string methodName, ImpersonationEnd? end = null) =>
            new ApiForm(operation, ApiFormKind.ManagedMethod, ApiFamily.Managed, methodName, comInterface: null, libraries: null, typeName, ResultConvention.Throws, ArgumentRule.None, end ?? ImpersonationEnd.None);

        /// <summary>The check a fix writes for a result of this convention (see <see cref="FailureCheck"/>).</summary>
        public static FailureCheck CheckOf(ResultConvention convention) => convention switch
        {
            ResultConvention.HResult => FailureCheck.HResult,
            ResultConvention.Win32Bool => FailureCheck.LastError,
            ResultConvention.RpcStatus => FailureCheck.ErrorCode,
            ResultConvention.NtStatus => FailureCheck.NtStatus,
            _ => FailureCheck.None,
        };
    }

    internal enum ApiFormKind
    {
        ComMethod,
        NativeFunction,
        ManagedMethod,

        /// <summary>NtApiDotNet / NtCoreLib: recognised by the <c>ThreadImpersonationContext</c> it returns (or is called on).</summary>
        ContextMethod,
    }

    /// <summary>What thread argument names the calling thread.</summary>
    internal enum ThreadRule
    {
        /// <summary>Win32 <c>SetThreadToken</c>: a null thread pointer, or <c>GetCurrentThread()</c>.</summary>
        NullIsCurrent,

        /// <summary>NT native: the pseudo-handle -2 (<c>GetCurrentThread()</c>, <c>NtCurrentThread</c>); null is no thread.</summary>
        PseudoHandleIsCurrent,
    }

    /// <summary>Which API family a form belongs to: a fix pairs an impersonation with a revert of the same family.</summary>
    internal enum ApiFamily
    {
        /// <summary>The COM call context (<c>CoImpersonateClient</c>, <c>IServerSecurity</c>, <c>ISynchronize</c>).</summary>
        Com,

        /// <summary>The RPC run-time (<c>RpcImpersonateClient</c>).</summary>
        Rpc,

        /// <summary>Win32 thread tokens (<c>ImpersonateLoggedOnUser</c>, <c>SetThreadToken</c>, <c>RevertToSelf</c>).</summary>
        Win32,

        /// <summary><c>WindowsIdentity.Impersonate()</c> and its <c>WindowsImpersonationContext</c>.</summary>
        Managed,

        /// <summary>SSPI (<c>ImpersonateSecurityContext</c>, <c>RevertSecurityContext</c> on the same context handle).</summary>
        Sspi,

        /// <summary>The NT native API (<c>NtSetInformationThread</c>, <c>NtImpersonateThread</c>, <c>NtImpersonateAnonymousToken</c>).</summary>
        Nt,

        /// <summary>NtApiDotNet / NtCoreLib (<c>NtToken.Impersonate()</c> and the other methods returning a <c>ThreadImpersonationContext</c>).</summary>
        NtObjectManager,

        /// <summary>Methods named in the options (SPEC §5).</summary>
        Configured,
    }

    /// <summary>How a function reports failure.</summary>
    internal enum ResultConvention
    {
        /// <summary>An HRESULT: negative is failure.</summary>
        HResult,

        /// <summary>A Win32 BOOL: zero (false) is failure, the error is in GetLastError.</summary>
        Win32Bool,

        /// <summary>An RPC_STATUS: anything but RPC_S_OK (0) is failure.</summary>
        RpcStatus,

        /// <summary>A .NET method: failure throws.</summary>
        Throws,

        /// <summary>An NTSTATUS: negative is failure (read like an HRESULT).</summary>
        NtStatus,
    }

    /// <summary>An argument that changes what a recognised call does.</summary>
    internal enum ArgumentRule
    {
        None,

        /// <summary><c>SetThreadToken(thread, token)</c>: a null token removes the thread's token, which is a revert.</summary>
        NoTokenReverts,

        /// <summary><c>RpcImpersonateClient(binding)</c>: a null binding impersonates the client of the call this thread dispatches.</summary>
        NoBindingNeedsDispatchThread,

        /// <summary><c>NtSetInformationThread(thread, class, &amp;token, size)</c>: only <c>ThreadImpersonationToken</c> sets the token.</summary>
        ThreadImpersonationTokenClass,

        /// <summary><c>NtThread.Impersonate(…)</c>: impersonates the calling thread only on <c>NtThread.Current</c>.</summary>
        ReceiverIsCurrentThread,
    }

    /// <summary>
    /// What an impersonation needs from the thread it runs on, which decides the rules that apply: only the COM
    /// call context is completed by Signal (COMIMP001, 003, 005); a call context, COM or RPC, exists only on the
    /// thread that dispatches the call (COMIMP006 a, b); an explicit token works on any thread.
    /// </summary>
    internal enum ImpersonationKind
    {
        /// <summary>An explicit token, pipe, DDE conversation or binding handle: any thread, any time.</summary>
        ExplicitToken = 0,

        /// <summary>The call this thread dispatches (<c>RpcImpersonateClient(null)</c>).</summary>
        DispatchThread = 1,

        /// <summary>The COM call context, which Signal completes.</summary>
        ComCallContext = 2,
    }
}
