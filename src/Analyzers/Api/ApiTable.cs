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

        /// <summary>SPEC §2: a method named Begin_X / Finish_X is an asynchronous call's half; nothing else is required.</summary>
        public const string BeginPrefix = "Begin_";

        public const string FinishPrefix = "Finish_";

        /// <summary>Every recognised form: SPEC §2's table, one row each.</summary>
        public static readonly ImmutableArray<ApiForm> Forms = ImmutableArray.Create(
            // impersonate
            ApiForm.ComMethod(ApiOperation.Impersonate, IServerSecurity, "ImpersonateClient"),
            ApiForm.NativeFunction(ApiOperation.Impersonate, "CoImpersonateClient", ComLibraries),
            // revert
            ApiForm.ComMethod(ApiOperation.Revert, IServerSecurity, "RevertToSelf"),
            ApiForm.NativeFunction(ApiOperation.Revert, "CoRevertToSelf", ComLibraries),
            // signal (also on interfaces derived from ISynchronize)
            ApiForm.ComMethod(ApiOperation.Signal, ISynchronize, "Signal"));

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
            MarshalThrowMethod, "ThrowIfFailed", "ThrowOnFailure", "FAILED", "SUCCEEDED");

        /// <summary>
        /// The HRESULT structs' own throw-on-failure methods, in order of preference: CsWin32's
        /// <c>ThrowOnFailure()</c>, Vanara's <c>ThrowIfFailed()</c>. A statement calling one of these or
        /// <c>Marshal.ThrowExceptionForHR</c> is a failure check; "Throw on failure" writes them.
        /// </summary>
        public static readonly ImmutableArray<string> HResultThrowMethods = ImmutableArray.Create("ThrowOnFailure", "ThrowIfFailed");

        public const string MarshalThrowMethod = "ThrowExceptionForHR";

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

    /// <summary>One row of the table: an operation and the one way of reaching it that this row describes.</summary>
    internal sealed class ApiForm
    {
        private ApiForm(ApiOperation operation, ApiFormKind kind, string name, ComInterfaceIdentity? comInterface, NativeLibraryMatcher? libraries)
        {
            Operation = operation;
            Kind = kind;
            Name = name;
            ComInterface = comInterface;
            Libraries = libraries;
        }

        public ApiOperation Operation { get; }

        public ApiFormKind Kind { get; }

        /// <summary>The COM method name, or the native entry point.</summary>
        public string Name { get; }

        public ComInterfaceIdentity? ComInterface { get; }

        public NativeLibraryMatcher? Libraries { get; }

        /// <summary>A method of a COM interface in every flavour: <c>[ComImport]</c>, <c>[GeneratedComInterface]</c>, vtable structs; also on derived interfaces.</summary>
        public static ApiForm ComMethod(ApiOperation operation, ComInterfaceIdentity comInterface, string methodName) =>
            new ApiForm(operation, ApiFormKind.ComMethod, methodName, comInterface, libraries: null);

        /// <summary>A <c>[DllImport]</c> or <c>[LibraryImport]</c> method whose native entry point is <paramref name="entryPoint"/>.</summary>
        public static ApiForm NativeFunction(ApiOperation operation, string entryPoint, NativeLibraryMatcher libraries) =>
            new ApiForm(operation, ApiFormKind.NativeFunction, entryPoint, comInterface: null, libraries);
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

    internal enum ApiFormKind
    {
        ComMethod,
        NativeFunction,
    }
}
