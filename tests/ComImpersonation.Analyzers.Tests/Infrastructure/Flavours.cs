using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace ComImpersonation.Analyzers.Tests.Infrastructure
{
    /// <summary>
    /// One interop flavour of SPEC §2: the declarations that make test code compile (written the way the library
    /// that owns the flavour shapes them) and the snippets that impersonate, revert and signal in that flavour.
    /// Test bodies are built from the snippets and wrapped in a call object by <see cref="CallObject"/>.
    /// </summary>
    public sealed class Flavour
    {
        internal Flavour(
            string name,
            string[] declarations,
            string usings,
            string members,
            string impersonate,
            string revert,
            string signal,
            string? failureCheck,
            string impersonateName,
            string signalName,
            string classModifiers = "",
            bool recognisesImpersonate = true,
            bool recognisesSignal = true)
        {
            Name = name;
            Declarations = declarations;
            Usings = usings;
            Members = members;
            Impersonate = impersonate;
            Revert = revert;
            Signal = signal;
            FailureCheck = failureCheck;
            ImpersonateName = impersonateName;
            SignalName = signalName;
            ClassModifiers = classModifiers;
            RecognisesImpersonate = recognisesImpersonate;
            RecognisesSignal = recognisesSignal;
        }

        public string Name { get; }

        /// <summary>Source files with the interop declarations (one file each).</summary>
        public string[] Declarations { get; }

        /// <summary>The using directives test code needs.</summary>
        public string Usings { get; }

        /// <summary>Fields of the call object (the interface pointers).</summary>
        public string Members { get; }

        /// <summary>An expression that impersonates the client (the exact span a diagnostic is expected on).</summary>
        public string Impersonate { get; }

        /// <summary>An expression that reverts.</summary>
        public string Revert { get; }

        /// <summary>An expression that signals (the exact span COMIMP003 is expected on).</summary>
        public string Signal { get; }

        /// <summary>A condition, <c>{0}</c> being the result variable, that is true on failure; null for a throwing projection.</summary>
        public string? FailureCheck { get; }

        /// <summary>The impersonation's name in messages (<c>IServerSecurity.ImpersonateClient</c>, <c>CoImpersonateClient</c>).</summary>
        public string ImpersonateName { get; }

        /// <summary>The signal's name in messages.</summary>
        public string SignalName { get; }

        /// <summary><c>unsafe </c> for vtable-struct flavours, else empty.</summary>
        public string ClassModifiers { get; }

        /// <summary>False for decoys whose "impersonation" is not the COM API.</summary>
        public bool RecognisesImpersonate { get; }

        /// <summary>False for decoys whose "signal" is not ISynchronize.Signal.</summary>
        public bool RecognisesSignal { get; }

        public bool IsThrowing => FailureCheck is null;

        /// <summary>The impersonation call, wrapped in markup for <paramref name="ids"/> (outermost first).</summary>
        public string Imp(params string[] ids) => Mark(Impersonate, ids);

        /// <summary>The signal call, wrapped in markup for <paramref name="ids"/>.</summary>
        public string Sig(params string[] ids) => Mark(Signal, ids);

        /// <summary>The failure condition on <paramref name="variable"/>.</summary>
        public string Failed(string variable = "hr") =>
            string.Format(System.Globalization.CultureInfo.InvariantCulture, FailureCheck ?? throw new InvalidOperationException(Name + " has no result"), variable);

        /// <summary>
        /// Statements that impersonate with <paramref name="call"/> and return when it failed. A throwing projection
        /// needs no check: its exception is the check.
        /// </summary>
        public string ImpersonateChecked(string call, string variable = "hr") =>
            IsThrowing ? call + ";" : "var " + variable + " = " + call + "; if (" + Failed(variable) + ") return;";

        /// <summary>Statements that impersonate with <paramref name="call"/> and throw when it failed.</summary>
        public string ImpersonateOrThrow(string call, string variable = "hr") =>
            IsThrowing ? call + ";" : "var " + variable + " = " + call + "; if (" + Failed(variable) + ") throw new System.UnauthorizedAccessException();";

        public string RevertStatement => Revert + ";";

        public string SignalStatement => Signal + ";";

        /// <summary>A call object whose method <c>Begin_Work</c> has <paramref name="body"/>.</summary>
        public string CallObject(string body, string extraMembers = "") => $$"""
            {{Usings}}

            {{ClassModifiers}}class CallObject
            {
            {{Members}}
                private bool _flag;
                private int _mode;
                private readonly object _gate = new object();

                private void Work() { }
            {{extraMembers}}
                public void Begin_Work()
                {
            {{body}}
                }
            }
            """;

        /// <summary>Runs the analyzer over a call object whose <c>Begin_Work</c> has <paramref name="body"/>.</summary>
        internal Task VerifyAsync(string body, params DiagnosticResult[] expected) =>
            Verify.AnalyzerAsync(Sources(CallObject(body)), expected);

        /// <summary>Runs the analyzer over a call object with <paramref name="extraMembers"/> and <paramref name="body"/>.</summary>
        internal Task VerifyAsync(string body, string extraMembers, params DiagnosticResult[] expected) =>
            Verify.AnalyzerAsync(Sources(CallObject(body, extraMembers)), expected);

        /// <summary>The declarations followed by <paramref name="testSources"/>.</summary>
        public string[] Sources(params string[] testSources) => Declarations.Concat(testSources).ToArray();

        public override string ToString() => Name;

        private static string Mark(string text, string[] ids)
        {
            for (int i = ids.Length - 1; i >= 0; i--)
            {
                text = "{|" + ids[i] + ":" + text + "|}";
            }

            return text;
        }
    }

    /// <summary>The table of interop flavours (SPEC §2) and of decoys that must not be recognised.</summary>
    public static class Flavours
    {
        // ---------------------------------------------------------------------------------------------------
        // Hand-written [ComImport] interfaces, PreserveSig int (global namespace, as most code bases have them).
        // ---------------------------------------------------------------------------------------------------
        internal const string ComImportInterfaces = """
            using System;
            using System.Runtime.InteropServices;

            [ComImport, Guid("0000013E-0000-0000-C000-000000000046"), InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
            public interface IServerSecurity
            {
                void QueryBlanket(out uint authnSvc, out uint authzSvc, out IntPtr serverPrincName, out uint authnLevel, out uint impLevel, out IntPtr privs, ref uint capabilities);
                [PreserveSig] int ImpersonateClient();
                [PreserveSig] int RevertToSelf();
                [PreserveSig] [return: MarshalAs(UnmanagedType.Bool)] bool IsImpersonating();
            }

            [ComImport, Guid("00000030-0000-0000-C000-000000000046"), InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
            public interface ISynchronize
            {
                void Wait(uint dwFlags, uint dwMilliseconds);
                void Signal();
                void Reset();
            }
            """;

        internal const string ComImportMembers = """
                private IServerSecurity _security;
                private ISynchronize _sync;
            """;

        // Throwing projections: no PreserveSig, the runtime turns a failed HRESULT into an exception.
        private const string ThrowingInterfaces = """
            using System;
            using System.Runtime.InteropServices;

            namespace Server.Interop
            {
                [ComImport, Guid("0000013E-0000-0000-C000-000000000046"), InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
                public interface IServerSecurity
                {
                    void QueryBlanket(out uint authnSvc, out uint authzSvc, out IntPtr serverPrincName, out uint authnLevel, out uint impLevel, out IntPtr privs, ref uint capabilities);
                    void ImpersonateClient();
                    void RevertToSelf();
                    [PreserveSig] [return: MarshalAs(UnmanagedType.Bool)] bool IsImpersonating();
                }

                [ComImport, Guid("00000030-0000-0000-C000-000000000046"), InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
                public interface ISynchronize
                {
                    void Wait(uint dwFlags, uint dwMilliseconds);
                    void Signal();
                    void Reset();
                }
            }
            """;

        // ISynchronizeMutex derives from ISynchronize; a [ComImport] interface redeclares its base's methods with `new`.
        private const string SynchronizeMutexInterface = """
            using System.Runtime.InteropServices;

            [ComImport, Guid("00000025-0000-0000-C000-000000000046"), InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
            public interface ISynchronizeMutex : ISynchronize
            {
                new void Wait(uint dwFlags, uint dwMilliseconds);
                new void Signal();
                new void Reset();
                void ReleaseMutex();
            }
            """;

        // ---------------------------------------------------------------------------------------------------
        // P/Invoke declarations: DllImport with ole32, a renamed entry point, combase and the API set.
        // ---------------------------------------------------------------------------------------------------
        private const string DllImportOle32 = """
            using System.Runtime.InteropServices;

            internal static class NativeMethods
            {
                [DllImport("ole32.dll")]
                internal static extern int CoImpersonateClient();

                [DllImport("ole32.dll")]
                internal static extern int CoRevertToSelf();
            }
            """;

        private const string DllImportRenamed = """
            using System.Runtime.InteropServices;

            internal static class NativeMethods
            {
                [DllImport("ole32", EntryPoint = "CoImpersonateClient")]
                internal static extern int Impersonate();

                [DllImport("ole32", EntryPoint = "CoRevertToSelf")]
                internal static extern int Revert();
            }
            """;

        private const string DllImportCombase = """
            using System.Runtime.InteropServices;

            internal static class NativeMethods
            {
                [DllImport("combase.dll", ExactSpelling = true)]
                internal static extern int CoImpersonateClient();

                [DllImport("combase.dll", ExactSpelling = true)]
                internal static extern int CoRevertToSelf();
            }
            """;

        private const string DllImportApiSet = """
            using System.Runtime.InteropServices;

            internal static class NativeMethods
            {
                private const string ComApiSet = "api-ms-win-core-com-l1-1-0.dll";

                [DllImport(ComApiSet, ExactSpelling = true)]
                internal static extern uint CoImpersonateClient();

                [DllImport(ComApiSet, ExactSpelling = true)]
                internal static extern uint CoRevertToSelf();
            }
            """;

        // ---------------------------------------------------------------------------------------------------
        // [LibraryImport]: the user's declaration plus what the source generator would emit (it does not run in
        // tests). A blittable signature gets an `extern partial` DllImport forwarder; SetLastError gets a stub
        // that calls a local `__PInvoke`.
        // ---------------------------------------------------------------------------------------------------
        private const string LibraryImportDeclaration = """
            using System.Runtime.InteropServices;

            internal static partial class NativeMethods
            {
                [LibraryImport("ole32", EntryPoint = "CoImpersonateClient")]
                internal static partial int ImpersonateClient();

                [LibraryImport("ole32", EntryPoint = "CoRevertToSelf")]
                internal static partial int RevertToSelf();
            }
            """;

        private const string LibraryImportForwarder = """
            // <auto-generated/>
            internal static unsafe partial class NativeMethods
            {
                [global::System.CodeDom.Compiler.GeneratedCodeAttribute("Microsoft.Interop.LibraryImportGenerator", "10.0.0.0")]
                [global::System.Runtime.InteropServices.DllImportAttribute("ole32", EntryPoint = "CoImpersonateClient", ExactSpelling = true)]
                internal static extern partial int ImpersonateClient();

                [global::System.CodeDom.Compiler.GeneratedCodeAttribute("Microsoft.Interop.LibraryImportGenerator", "10.0.0.0")]
                [global::System.Runtime.InteropServices.DllImportAttribute("ole32", EntryPoint = "CoRevertToSelf", ExactSpelling = true)]
                internal static extern partial int RevertToSelf();
            }
            """;

        private const string LibraryImportStubDeclaration = """
            using System.Runtime.InteropServices;

            namespace Server.Native
            {
                internal static partial class Ole32
                {
                    [LibraryImport("ole32.dll", EntryPoint = "CoImpersonateClient", SetLastError = true)]
                    internal static partial int Impersonate();

                    [LibraryImport("ole32.dll", EntryPoint = "CoRevertToSelf", SetLastError = true)]
                    internal static partial int Revert();
                }
            }
            """;

        private const string LibraryImportStub = """
            // <auto-generated/>
            namespace Server.Native
            {
                internal static unsafe partial class Ole32
                {
                    [global::System.CodeDom.Compiler.GeneratedCodeAttribute("Microsoft.Interop.LibraryImportGenerator", "10.0.0.0")]
                    [global::System.Runtime.CompilerServices.SkipLocalsInitAttribute]
                    internal static partial int Impersonate()
                    {
                        int __lastError;
                        int __retVal;
                        {
                            global::System.Runtime.InteropServices.Marshal.SetLastSystemError(0);
                            __retVal = __PInvoke();
                            __lastError = global::System.Runtime.InteropServices.Marshal.GetLastSystemError();
                        }

                        global::System.Runtime.InteropServices.Marshal.SetLastPInvokeError(__lastError);
                        return __retVal;
                        // Local P/Invoke
                        [global::System.Runtime.InteropServices.DllImportAttribute("ole32.dll", EntryPoint = "CoImpersonateClient", ExactSpelling = true)]
                        static extern unsafe int __PInvoke();
                    }

                    [global::System.CodeDom.Compiler.GeneratedCodeAttribute("Microsoft.Interop.LibraryImportGenerator", "10.0.0.0")]
                    [global::System.Runtime.CompilerServices.SkipLocalsInitAttribute]
                    internal static partial int Revert()
                    {
                        int __lastError;
                        int __retVal;
                        {
                            global::System.Runtime.InteropServices.Marshal.SetLastSystemError(0);
                            __retVal = __PInvoke();
                            __lastError = global::System.Runtime.InteropServices.Marshal.GetLastSystemError();
                        }

                        global::System.Runtime.InteropServices.Marshal.SetLastPInvokeError(__lastError);
                        return __retVal;
                        // Local P/Invoke
                        [global::System.Runtime.InteropServices.DllImportAttribute("ole32.dll", EntryPoint = "CoRevertToSelf", ExactSpelling = true)]
                        static extern unsafe int __PInvoke();
                    }
                }
            }
            """;

        // ---------------------------------------------------------------------------------------------------
        // CsWin32: HRESULT in Windows.Win32.Foundation, COM interfaces in Windows.Win32.System.Com, P/Invokes on
        // Windows.Win32.PInvoke. Inside these namespaces `System` means Windows.Win32.System, hence global::.
        // ---------------------------------------------------------------------------------------------------
        internal const string CsWin32Hresult = """
            namespace Windows.Win32.Foundation
            {
                [global::System.Diagnostics.DebuggerDisplay("{Value}")]
                public readonly partial struct HRESULT : global::System.IEquatable<HRESULT>
                {
                    public readonly int Value;

                    public HRESULT(int value) => this.Value = value;

                    public static implicit operator int(HRESULT value) => value.Value;

                    public static explicit operator HRESULT(int value) => new HRESULT(value);

                    public static bool operator ==(HRESULT left, HRESULT right) => left.Value == right.Value;

                    public static bool operator !=(HRESULT left, HRESULT right) => !(left == right);

                    public bool Equals(HRESULT other) => this.Value == other.Value;

                    public override bool Equals(object obj) => obj is HRESULT other && this.Equals(other);

                    public override int GetHashCode() => this.Value.GetHashCode();

                    public override string ToString() => string.Format(global::System.Globalization.CultureInfo.InvariantCulture, "0x{0:X8}", this.Value);

                    public static readonly HRESULT S_OK = (HRESULT)0;

                    public bool Succeeded => this.Value >= 0;

                    public bool Failed => this.Value < 0;

                    public HRESULT ThrowOnFailure(global::System.IntPtr errorInfo = default)
                    {
                        global::System.Runtime.InteropServices.Marshal.ThrowExceptionForHR(this.Value, errorInfo);
                        return this;
                    }
                }
            }
            """;

        private const string CsWin32Com = """
            namespace Windows.Win32.System.Com
            {
                using global::System.Runtime.InteropServices;
                using winmdroot = global::Windows.Win32;

                [Guid("0000013E-0000-0000-C000-000000000046"), InterfaceType(ComInterfaceType.InterfaceIsIUnknown), ComImport()]
                public interface IServerSecurity
                {
                    unsafe void QueryBlanket(uint* pAuthnSvc, uint* pAuthzSvc, char** pServerPrincName, uint* pAuthnLevel, uint* pImpLevel, void** pPrivs, uint* pCapabilities);

                    [PreserveSig()]
                    winmdroot.Foundation.HRESULT ImpersonateClient();

                    [PreserveSig()]
                    winmdroot.Foundation.HRESULT RevertToSelf();

                    [PreserveSig()]
                    int IsImpersonating();
                }

                [Guid("00000030-0000-0000-C000-000000000046"), InterfaceType(ComInterfaceType.InterfaceIsIUnknown), ComImport()]
                public interface ISynchronize
                {
                    void Wait(uint dwFlags, uint dwMilliseconds);

                    void Signal();

                    void Reset();
                }
            }

            namespace Windows.Win32
            {
                using global::System.Runtime.InteropServices;
                using winmdroot = global::Windows.Win32;

                public static partial class PInvoke
                {
                    [DllImport("OLE32.dll", ExactSpelling = true)]
                    [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
                    public static extern winmdroot.Foundation.HRESULT CoImpersonateClient();

                    [DllImport("OLE32.dll", ExactSpelling = true)]
                    [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
                    public static extern winmdroot.Foundation.HRESULT CoRevertToSelf();
                }
            }
            """;

        // CsWin32 with allowMarshaling=false: COM types become vtable structs.
        private const string CsWin32Vtables = """
            namespace Windows.Win32.System.Com
            {
                using global::System.Runtime.CompilerServices;
                using global::System.Runtime.InteropServices;
                using winmdroot = global::Windows.Win32;

                [Guid("0000013E-0000-0000-C000-000000000046")]
                public unsafe partial struct IServerSecurity
                {
                    public winmdroot.Foundation.HRESULT ImpersonateClient()
                    {
                        return ((delegate *unmanaged [Stdcall]<IServerSecurity*, winmdroot.Foundation.HRESULT>)lpVtbl[4])((IServerSecurity*)Unsafe.AsPointer(ref this));
                    }

                    public winmdroot.Foundation.HRESULT RevertToSelf()
                    {
                        return ((delegate *unmanaged [Stdcall]<IServerSecurity*, winmdroot.Foundation.HRESULT>)lpVtbl[5])((IServerSecurity*)Unsafe.AsPointer(ref this));
                    }

                    private void** lpVtbl;
                }

                [Guid("00000030-0000-0000-C000-000000000046")]
                public unsafe partial struct ISynchronize
                {
                    public winmdroot.Foundation.HRESULT Signal()
                    {
                        return ((delegate *unmanaged [Stdcall]<ISynchronize*, winmdroot.Foundation.HRESULT>)lpVtbl[4])((ISynchronize*)Unsafe.AsPointer(ref this));
                    }

                    private void** lpVtbl;
                }
            }
            """;

        // ---------------------------------------------------------------------------------------------------
        // Vanara: HRESULT and Ole32 (P/Invokes and nested COM interfaces) in Vanara.PInvoke.
        // ---------------------------------------------------------------------------------------------------
        private const string Vanara = """
            using System;
            using System.Runtime.InteropServices;

            namespace Vanara.PInvoke
            {
                internal static class Lib
                {
                    public const string Ole32 = "ole32.dll";
                }

                [StructLayout(LayoutKind.Sequential)]
                public partial struct HRESULT : IEquatable<HRESULT>
                {
                    internal readonly int _value;

                    public const int S_OK = 0;

                    public HRESULT(int rawValue) => _value = rawValue;

                    public bool Failed => _value < 0;

                    public bool Succeeded => _value >= 0;

                    public void ThrowIfFailed(string message = null)
                    {
                        if (_value < 0)
                        {
                            Marshal.ThrowExceptionForHR(_value);
                        }
                    }

                    public static implicit operator HRESULT(int value) => new HRESULT(value);

                    public static explicit operator int(HRESULT value) => value._value;

                    public static bool operator ==(HRESULT hrLeft, HRESULT hrRight) => hrLeft._value == hrRight._value;

                    public static bool operator !=(HRESULT hrLeft, HRESULT hrRight) => !(hrLeft == hrRight);

                    public bool Equals(HRESULT other) => _value == other._value;

                    public override bool Equals(object obj) => obj is HRESULT other && Equals(other);

                    public override int GetHashCode() => _value;
                }

                public static partial class Ole32
                {
                    [DllImport(Lib.Ole32, SetLastError = false, ExactSpelling = true)]
                    public static extern HRESULT CoImpersonateClient();

                    [DllImport(Lib.Ole32, SetLastError = false, ExactSpelling = true)]
                    public static extern HRESULT CoRevertToSelf();

                    [ComImport, Guid("0000013E-0000-0000-C000-000000000046"), InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
                    public interface IServerSecurity
                    {
                        [PreserveSig]
                        HRESULT QueryBlanket(out uint pAuthnSvc, out uint pAuthzSvc, out IntPtr pServerPrincName, out uint pAuthnLevel, out uint pImpLevel, out IntPtr pPrivs, ref uint pCapabilities);

                        [PreserveSig]
                        HRESULT ImpersonateClient();

                        [PreserveSig]
                        HRESULT RevertToSelf();

                        [PreserveSig]
                        [return: MarshalAs(UnmanagedType.Bool)]
                        bool IsImpersonating();
                    }

                    [ComImport, Guid("00000030-0000-0000-C000-000000000046"), InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
                    public interface ISynchronize
                    {
                        [PreserveSig]
                        HRESULT Wait(uint dwFlags, uint dwMilliseconds);

                        [PreserveSig]
                        HRESULT Signal();

                        [PreserveSig]
                        HRESULT Reset();
                    }
                }
            }
            """;

        // ---------------------------------------------------------------------------------------------------
        // [GeneratedComInterface] (source-generated COM, .NET 8+): partial interfaces with [Guid].
        // ---------------------------------------------------------------------------------------------------
        private const string GeneratedComInterfaces = """
            using System;
            using System.Runtime.InteropServices;
            using System.Runtime.InteropServices.Marshalling;

            namespace Server.Com
            {
                [GeneratedComInterface]
                [Guid("0000013E-0000-0000-C000-000000000046")]
                internal partial interface IServerSecurity
                {
                    [PreserveSig]
                    int QueryBlanket(out uint pAuthnSvc, out uint pAuthzSvc, out IntPtr pServerPrincName, out uint pAuthnLevel, out uint pImpLevel, out IntPtr pPrivs, ref uint pCapabilities);

                    [PreserveSig]
                    int ImpersonateClient();

                    [PreserveSig]
                    int RevertToSelf();

                    [PreserveSig]
                    int IsImpersonating();
                }

                [GeneratedComInterface]
                [Guid("00000030-0000-0000-C000-000000000046")]
                internal partial interface ISynchronize
                {
                    [PreserveSig]
                    int Wait(uint dwFlags, uint dwMilliseconds);

                    [PreserveSig]
                    int Signal();

                    [PreserveSig]
                    int Reset();
                }
            }
            """;

        // ---------------------------------------------------------------------------------------------------
        // TerraFX: unsafe vtable structs, an HRESULT struct and FAILED/SUCCEEDED on the static class Windows.
        // ---------------------------------------------------------------------------------------------------
        private const string TerraFX = """
            using System;
            using System.Runtime.CompilerServices;
            using System.Runtime.InteropServices;

            namespace TerraFX.Interop.Windows
            {
                public readonly partial struct HRESULT : IComparable<HRESULT>, IEquatable<HRESULT>
                {
                    public readonly int Value;

                    public HRESULT(int value)
                    {
                        Value = value;
                    }

                    public static bool operator ==(HRESULT left, HRESULT right) => left.Value == right.Value;

                    public static bool operator !=(HRESULT left, HRESULT right) => left.Value != right.Value;

                    public static bool operator <(HRESULT left, HRESULT right) => left.Value < right.Value;

                    public static bool operator <=(HRESULT left, HRESULT right) => left.Value <= right.Value;

                    public static bool operator >(HRESULT left, HRESULT right) => left.Value > right.Value;

                    public static bool operator >=(HRESULT left, HRESULT right) => left.Value >= right.Value;

                    public static implicit operator HRESULT(int value) => new HRESULT(value);

                    public static explicit operator int(HRESULT value) => value.Value;

                    public int CompareTo(HRESULT other) => Value.CompareTo(other.Value);

                    public bool Equals(HRESULT other) => Value == other.Value;

                    public override bool Equals(object obj) => obj is HRESULT other && Equals(other);

                    public override int GetHashCode() => Value.GetHashCode();
                }

                public static unsafe partial class Windows
                {
                    public const int S_OK = 0;

                    public static bool FAILED(HRESULT hr) => hr < 0;

                    public static bool SUCCEEDED(HRESULT hr) => hr >= 0;
                }

                [Guid("0000013E-0000-0000-C000-000000000046")]
                public unsafe partial struct IServerSecurity
                {
                    public void** lpVtbl;

                    [MethodImpl(MethodImplOptions.AggressiveInlining)]
                    public HRESULT QueryInterface(Guid* riid, void** ppvObject) => ((delegate* unmanaged<IServerSecurity*, Guid*, void**, int>)(lpVtbl[0]))((IServerSecurity*)Unsafe.AsPointer(ref this), riid, ppvObject);

                    [MethodImpl(MethodImplOptions.AggressiveInlining)]
                    public uint AddRef() => ((delegate* unmanaged<IServerSecurity*, uint>)(lpVtbl[1]))((IServerSecurity*)Unsafe.AsPointer(ref this));

                    [MethodImpl(MethodImplOptions.AggressiveInlining)]
                    public uint Release() => ((delegate* unmanaged<IServerSecurity*, uint>)(lpVtbl[2]))((IServerSecurity*)Unsafe.AsPointer(ref this));

                    [MethodImpl(MethodImplOptions.AggressiveInlining)]
                    public HRESULT ImpersonateClient() => ((delegate* unmanaged<IServerSecurity*, int>)(lpVtbl[4]))((IServerSecurity*)Unsafe.AsPointer(ref this));

                    [MethodImpl(MethodImplOptions.AggressiveInlining)]
                    public HRESULT RevertToSelf() => ((delegate* unmanaged<IServerSecurity*, int>)(lpVtbl[5]))((IServerSecurity*)Unsafe.AsPointer(ref this));

                    [MethodImpl(MethodImplOptions.AggressiveInlining)]
                    public int IsImpersonating() => ((delegate* unmanaged<IServerSecurity*, int>)(lpVtbl[6]))((IServerSecurity*)Unsafe.AsPointer(ref this));
                }

                [Guid("00000030-0000-0000-C000-000000000046")]
                public unsafe partial struct ISynchronize
                {
                    public void** lpVtbl;

                    [MethodImpl(MethodImplOptions.AggressiveInlining)]
                    public HRESULT Wait(uint dwFlags, uint dwMilliseconds) => ((delegate* unmanaged<ISynchronize*, uint, uint, int>)(lpVtbl[3]))((ISynchronize*)Unsafe.AsPointer(ref this), dwFlags, dwMilliseconds);

                    [MethodImpl(MethodImplOptions.AggressiveInlining)]
                    public HRESULT Signal() => ((delegate* unmanaged<ISynchronize*, int>)(lpVtbl[4]))((ISynchronize*)Unsafe.AsPointer(ref this));

                    [MethodImpl(MethodImplOptions.AggressiveInlining)]
                    public HRESULT Reset() => ((delegate* unmanaged<ISynchronize*, int>)(lpVtbl[5]))((ISynchronize*)Unsafe.AsPointer(ref this));
                }
            }
            """;

        // ---------------------------------------------------------------------------------------------------
        // Silk.NET: vtable structs with a lower-case [Guid] and a readonly-method shape.
        // ---------------------------------------------------------------------------------------------------
        private const string SilkNet = """
            using System.Runtime.CompilerServices;
            using System.Runtime.InteropServices;

            namespace Silk.NET.Core.Win32Extras
            {
                [Guid("0000013e-0000-0000-c000-000000000046")]
                public unsafe partial struct IServerSecurity
                {
                    public void** LpVtbl;

                    public readonly int ImpersonateClient()
                    {
                        var @this = (IServerSecurity*) Unsafe.AsPointer(ref Unsafe.AsRef(in this));
                        int ret = default;
                        ret = ((delegate* unmanaged[Stdcall]<IServerSecurity*, int>) @this->LpVtbl[4])(@this);
                        return ret;
                    }

                    public readonly int RevertToSelf()
                    {
                        var @this = (IServerSecurity*) Unsafe.AsPointer(ref Unsafe.AsRef(in this));
                        int ret = default;
                        ret = ((delegate* unmanaged[Stdcall]<IServerSecurity*, int>) @this->LpVtbl[5])(@this);
                        return ret;
                    }
                }

                [Guid("00000030-0000-0000-c000-000000000046")]
                public unsafe partial struct ISynchronize
                {
                    public void** LpVtbl;

                    public readonly int Signal()
                    {
                        var @this = (ISynchronize*) Unsafe.AsPointer(ref Unsafe.AsRef(in this));
                        int ret = default;
                        ret = ((delegate* unmanaged[Stdcall]<ISynchronize*, int>) @this->LpVtbl[4])(@this);
                        return ret;
                    }
                }
            }
            """;

        // ---------------------------------------------------------------------------------------------------
        // Decoys: look alike, are not the COM API.
        // ---------------------------------------------------------------------------------------------------

        // A managed call context: a class that implements IServerSecurity, called through the class type.
        private const string ManagedServerSecurity = """
            using System;

            internal sealed class ManagedServerSecurity : IServerSecurity
            {
                public void QueryBlanket(out uint authnSvc, out uint authzSvc, out IntPtr serverPrincName, out uint authnLevel, out uint impLevel, out IntPtr privs, ref uint capabilities)
                {
                    authnSvc = authzSvc = authnLevel = impLevel = 0;
                    serverPrincName = privs = IntPtr.Zero;
                }

                public int ImpersonateClient() => 0;

                public int RevertToSelf() => 0;

                public bool IsImpersonating() => false;
            }
            """;

        private const string ManagedSynchronize = """
            internal sealed class ManagedSynchronize : ISynchronize
            {
                private readonly System.Threading.ManualResetEventSlim _event = new System.Threading.ManualResetEventSlim();

                public void Wait(uint dwFlags, uint dwMilliseconds) => _event.Wait((int)dwMilliseconds);

                public void Signal() => _event.Set();

                public void Reset() => _event.Reset();
            }
            """;

        // Unrelated types whose methods happen to have the same names.
        private const string UnrelatedImpersonator = """
            internal sealed class Impersonator
            {
                public int ImpersonateClient() => 0;

                public int RevertToSelf() => 0;
            }

            internal interface IClientContext
            {
                int ImpersonateClient();

                int RevertToSelf();
            }
            """;

        private const string UnrelatedSignal = """
            internal interface IWorkItem
            {
                void Signal();
            }

            internal struct Beacon
            {
                public void Signal() { }
            }
            """;

        // Known full names, but a different [Guid]: the [Guid] decides.
        private const string WrongGuidServerSecurity = """
            namespace Windows.Win32.System.Com
            {
                using global::System.Runtime.InteropServices;

                [Guid("6C2B6F3E-1B7A-4C55-9A1E-3F0E4D2B9C11"), InterfaceType(ComInterfaceType.InterfaceIsIUnknown), ComImport()]
                public interface IServerSecurity
                {
                    [PreserveSig()]
                    int ImpersonateClient();

                    [PreserveSig()]
                    int RevertToSelf();
                }
            }
            """;

        private const string WrongGuidSynchronize = """
            namespace Vanara.PInvoke
            {
                using System.Runtime.InteropServices;

                public static partial class Ole32
                {
                    [ComImport, Guid("5E1F8C2D-7A3B-4E6F-8D9C-0B1A2C3D4E5F"), InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
                    public interface ISynchronize
                    {
                        void Signal();
                    }
                }
            }
            """;

        // CoImpersonateClient exported by a library that is not COM's.
        private const string NonComLibrary = """
            using System.Runtime.InteropServices;

            internal static class NativeMethods
            {
                [DllImport("mylib")]
                internal static extern int CoImpersonateClient();

                [DllImport("mylib.dll", EntryPoint = "CoRevertToSelf")]
                internal static extern int CoRevertToSelf();
            }
            """;

        // Named CoImpersonateClient, but bound to another ole32 export: the entry point decides.
        private const string EntryPointElsewhere = """
            using System;
            using System.Runtime.InteropServices;

            internal static class NativeMethods
            {
                [DllImport("ole32.dll", EntryPoint = "CoGetCallContext")]
                internal static extern int CoImpersonateClient(in Guid riid, out IntPtr context);

                [DllImport("ole32.dll", EntryPoint = "CoGetCallContext")]
                internal static extern int CoRevertToSelf(in Guid riid, out IntPtr context);
            }
            """;

        private static readonly Flavour[] AllFlavours =
        {
            new Flavour(
                "ComImport",
                new[] { ComImportInterfaces },
                "",
                ComImportMembers,
                impersonate: "_security.ImpersonateClient()",
                revert: "_security.RevertToSelf()",
                signal: "_sync.Signal()",
                failureCheck: "{0} < 0",
                impersonateName: "IServerSecurity.ImpersonateClient",
                signalName: "ISynchronize.Signal"),
            new Flavour(
                "ComImport.Throwing",
                new[] { ThrowingInterfaces },
                "using Server.Interop;",
                ComImportMembers,
                impersonate: "_security.ImpersonateClient()",
                revert: "_security.RevertToSelf()",
                signal: "_sync.Signal()",
                failureCheck: null,
                impersonateName: "IServerSecurity.ImpersonateClient",
                signalName: "ISynchronize.Signal"),
            new Flavour(
                "ComImport.ISynchronizeMutex",
                new[] { ComImportInterfaces, SynchronizeMutexInterface },
                "",
                """
                    private IServerSecurity _security;
                    private ISynchronizeMutex _mutex;
                """,
                impersonate: "_security.ImpersonateClient()",
                revert: "_security.RevertToSelf()",
                signal: "_mutex.Signal()",
                failureCheck: "{0} < 0",
                impersonateName: "IServerSecurity.ImpersonateClient",
                signalName: "ISynchronizeMutex.Signal"),
            new Flavour(
                "DllImport.ole32",
                new[] { ComImportInterfaces, DllImportOle32 },
                "",
                ComImportMembers,
                impersonate: "NativeMethods.CoImpersonateClient()",
                revert: "NativeMethods.CoRevertToSelf()",
                signal: "_sync.Signal()",
                failureCheck: "{0} != 0",
                impersonateName: "CoImpersonateClient",
                signalName: "ISynchronize.Signal"),
            new Flavour(
                "DllImport.EntryPoint",
                new[] { ComImportInterfaces, DllImportRenamed },
                "",
                ComImportMembers,
                impersonate: "NativeMethods.Impersonate()",
                revert: "NativeMethods.Revert()",
                signal: "_sync.Signal()",
                failureCheck: "{0} < 0",
                impersonateName: "Impersonate (CoImpersonateClient)",
                signalName: "ISynchronize.Signal"),
            new Flavour(
                "DllImport.combase",
                new[] { ComImportInterfaces, DllImportCombase },
                "using static NativeMethods;",
                ComImportMembers,
                impersonate: "CoImpersonateClient()",
                revert: "CoRevertToSelf()",
                signal: "_sync.Signal()",
                failureCheck: "{0} is < 0",
                impersonateName: "CoImpersonateClient",
                signalName: "ISynchronize.Signal"),
            new Flavour(
                "DllImport.ApiSet",
                new[] { ComImportInterfaces, DllImportApiSet },
                "",
                ComImportMembers,
                impersonate: "NativeMethods.CoImpersonateClient()",
                revert: "NativeMethods.CoRevertToSelf()",
                signal: "_sync.Signal()",
                failureCheck: "{0} != 0",
                impersonateName: "CoImpersonateClient",
                signalName: "ISynchronize.Signal"),
            new Flavour(
                "LibraryImport.Forwarder",
                new[] { ComImportInterfaces, LibraryImportDeclaration, LibraryImportForwarder },
                "",
                ComImportMembers,
                impersonate: "NativeMethods.ImpersonateClient()",
                revert: "NativeMethods.RevertToSelf()",
                signal: "_sync.Signal()",
                failureCheck: "{0} < 0",
                impersonateName: "ImpersonateClient (CoImpersonateClient)",
                signalName: "ISynchronize.Signal"),
            new Flavour(
                "LibraryImport.Stub",
                new[] { ComImportInterfaces, LibraryImportStubDeclaration, LibraryImportStub },
                "using Server.Native;",
                ComImportMembers,
                impersonate: "Ole32.Impersonate()",
                revert: "Ole32.Revert()",
                signal: "_sync.Signal()",
                failureCheck: "{0} < 0",
                impersonateName: "Impersonate (CoImpersonateClient)",
                signalName: "ISynchronize.Signal"),
            new Flavour(
                "CsWin32.Com",
                new[] { CsWin32Hresult, CsWin32Com },
                "using Windows.Win32.Foundation;\nusing Windows.Win32.System.Com;",
                ComImportMembers,
                impersonate: "_security.ImpersonateClient()",
                revert: "_security.RevertToSelf()",
                signal: "_sync.Signal()",
                failureCheck: "{0}.Failed",
                impersonateName: "IServerSecurity.ImpersonateClient",
                signalName: "ISynchronize.Signal"),
            new Flavour(
                "CsWin32.PInvoke",
                new[] { CsWin32Hresult, CsWin32Com },
                "using Windows.Win32;\nusing Windows.Win32.Foundation;\nusing Windows.Win32.System.Com;",
                ComImportMembers,
                impersonate: "PInvoke.CoImpersonateClient()",
                revert: "PInvoke.CoRevertToSelf()",
                signal: "_sync.Signal()",
                failureCheck: "{0} != HRESULT.S_OK",
                impersonateName: "CoImpersonateClient",
                signalName: "ISynchronize.Signal"),
            new Flavour(
                "CsWin32.Vtable",
                new[] { CsWin32Hresult, CsWin32Vtables },
                "using Windows.Win32.Foundation;\nusing Windows.Win32.System.Com;",
                """
                    private IServerSecurity* _security;
                    private ISynchronize* _sync;
                """,
                impersonate: "_security->ImpersonateClient()",
                revert: "_security->RevertToSelf()",
                signal: "_sync->Signal()",
                failureCheck: "!{0}.Succeeded",
                impersonateName: "IServerSecurity.ImpersonateClient",
                signalName: "ISynchronize.Signal",
                classModifiers: "unsafe "),
            new Flavour(
                "Vanara.Ole32",
                new[] { Vanara },
                "using Vanara.PInvoke;\nusing static Vanara.PInvoke.Ole32;",
                ComImportMembers,
                impersonate: "CoImpersonateClient()",
                revert: "CoRevertToSelf()",
                signal: "_sync.Signal()",
                failureCheck: "{0}.Failed",
                impersonateName: "CoImpersonateClient",
                signalName: "ISynchronize.Signal"),
            new Flavour(
                "Vanara.IServerSecurity",
                new[] { Vanara },
                "using Vanara.PInvoke;",
                """
                    private Ole32.IServerSecurity _security;
                    private Ole32.ISynchronize _sync;
                """,
                impersonate: "_security.ImpersonateClient()",
                revert: "_security.RevertToSelf()",
                signal: "_sync.Signal()",
                failureCheck: "!{0}.Succeeded",
                impersonateName: "IServerSecurity.ImpersonateClient",
                signalName: "ISynchronize.Signal"),
            new Flavour(
                "GeneratedComInterface",
                new[] { GeneratedComInterfaces },
                "using Server.Com;",
                ComImportMembers,
                impersonate: "_security.ImpersonateClient()",
                revert: "_security.RevertToSelf()",
                signal: "_sync.Signal()",
                failureCheck: "{0} < 0",
                impersonateName: "IServerSecurity.ImpersonateClient",
                signalName: "ISynchronize.Signal"),
            new Flavour(
                "TerraFX",
                new[] { TerraFX },
                "using TerraFX.Interop.Windows;\nusing static TerraFX.Interop.Windows.Windows;",
                """
                    private IServerSecurity* _security;
                    private ISynchronize* _sync;
                """,
                impersonate: "_security->ImpersonateClient()",
                revert: "_security->RevertToSelf()",
                signal: "_sync->Signal()",
                failureCheck: "FAILED({0})",
                impersonateName: "IServerSecurity.ImpersonateClient",
                signalName: "ISynchronize.Signal",
                classModifiers: "unsafe "),
            new Flavour(
                "SilkNET",
                new[] { SilkNet },
                "using Silk.NET.Core.Win32Extras;",
                """
                    private IServerSecurity* _security;
                    private ISynchronize* _sync;
                """,
                impersonate: "_security->ImpersonateClient()",
                revert: "_security->RevertToSelf()",
                signal: "_sync->Signal()",
                failureCheck: "{0} < 0",
                impersonateName: "IServerSecurity.ImpersonateClient",
                signalName: "ISynchronize.Signal",
                classModifiers: "unsafe "),
        };

        private static readonly Flavour[] AllDecoys =
        {
            // Impersonation look-alikes (the signal is real, so a recognised impersonation would be reported).
            new Flavour(
                "Decoy.ManagedServerSecurity",
                new[] { ComImportInterfaces, ManagedServerSecurity },
                "",
                """
                    private ManagedServerSecurity _context = new ManagedServerSecurity();
                    private ISynchronize _sync;
                """,
                impersonate: "_context.ImpersonateClient()",
                revert: "_context.RevertToSelf()",
                signal: "_sync.Signal()",
                failureCheck: "{0} < 0",
                impersonateName: "",
                signalName: "ISynchronize.Signal",
                recognisesImpersonate: false),
            new Flavour(
                "Decoy.UnrelatedClass",
                new[] { ComImportInterfaces, UnrelatedImpersonator },
                "",
                """
                    private Impersonator _impersonator = new Impersonator();
                    private ISynchronize _sync;
                """,
                impersonate: "_impersonator.ImpersonateClient()",
                revert: "_impersonator.RevertToSelf()",
                signal: "_sync.Signal()",
                failureCheck: "{0} < 0",
                impersonateName: "",
                signalName: "ISynchronize.Signal",
                recognisesImpersonate: false),
            new Flavour(
                "Decoy.UnrelatedInterface",
                new[] { ComImportInterfaces, UnrelatedImpersonator },
                "",
                """
                    private IClientContext _client;
                    private ISynchronize _sync;
                """,
                impersonate: "_client.ImpersonateClient()",
                revert: "_client.RevertToSelf()",
                signal: "_sync.Signal()",
                failureCheck: "{0} < 0",
                impersonateName: "",
                signalName: "ISynchronize.Signal",
                recognisesImpersonate: false),
            new Flavour(
                "Decoy.WrongGuidServerSecurity",
                new[] { ComImportInterfaces, WrongGuidServerSecurity },
                "",
                """
                    private Windows.Win32.System.Com.IServerSecurity _security;
                    private ISynchronize _sync;
                """,
                impersonate: "_security.ImpersonateClient()",
                revert: "_security.RevertToSelf()",
                signal: "_sync.Signal()",
                failureCheck: "{0} < 0",
                impersonateName: "",
                signalName: "ISynchronize.Signal",
                recognisesImpersonate: false),
            new Flavour(
                "Decoy.NonComLibrary",
                new[] { ComImportInterfaces, NonComLibrary },
                "",
                ComImportMembers,
                impersonate: "NativeMethods.CoImpersonateClient()",
                revert: "NativeMethods.CoRevertToSelf()",
                signal: "_sync.Signal()",
                failureCheck: "{0} < 0",
                impersonateName: "",
                signalName: "ISynchronize.Signal",
                recognisesImpersonate: false),

            new Flavour(
                "Decoy.EntryPointElsewhere",
                new[] { ComImportInterfaces, EntryPointElsewhere },
                "",
                """
                    private static readonly System.Guid IID_IServerSecurity = new System.Guid("0000013E-0000-0000-C000-000000000046");
                    private System.IntPtr _context;
                    private ISynchronize _sync;
                """,
                impersonate: "NativeMethods.CoImpersonateClient(in IID_IServerSecurity, out _context)",
                revert: "NativeMethods.CoRevertToSelf(in IID_IServerSecurity, out _context)",
                signal: "_sync.Signal()",
                failureCheck: "{0} < 0",
                impersonateName: "",
                signalName: "ISynchronize.Signal",
                recognisesImpersonate: false),

            // Signal look-alikes (the impersonation is real, so a recognised signal would be reported).
            new Flavour(
                "Decoy.ManagedSynchronize",
                new[] { ComImportInterfaces, ManagedSynchronize },
                "",
                """
                    private IServerSecurity _security;
                    private ManagedSynchronize _completion = new ManagedSynchronize();
                """,
                impersonate: "_security.ImpersonateClient()",
                revert: "_security.RevertToSelf()",
                signal: "_completion.Signal()",
                failureCheck: "{0} < 0",
                impersonateName: "IServerSecurity.ImpersonateClient",
                signalName: "",
                recognisesSignal: false),
            new Flavour(
                "Decoy.UnrelatedSignalInterface",
                new[] { ComImportInterfaces, UnrelatedSignal },
                "",
                """
                    private IServerSecurity _security;
                    private IWorkItem _item;
                """,
                impersonate: "_security.ImpersonateClient()",
                revert: "_security.RevertToSelf()",
                signal: "_item.Signal()",
                failureCheck: "{0} < 0",
                impersonateName: "IServerSecurity.ImpersonateClient",
                signalName: "",
                recognisesSignal: false),
            new Flavour(
                "Decoy.UnrelatedSignalStruct",
                new[] { ComImportInterfaces, UnrelatedSignal },
                "",
                """
                    private IServerSecurity _security;
                    private Beacon _beacon;
                """,
                impersonate: "_security.ImpersonateClient()",
                revert: "_security.RevertToSelf()",
                signal: "_beacon.Signal()",
                failureCheck: "{0} < 0",
                impersonateName: "IServerSecurity.ImpersonateClient",
                signalName: "",
                recognisesSignal: false),
            new Flavour(
                "Decoy.WrongGuidSynchronize",
                new[] { ComImportInterfaces, WrongGuidSynchronize },
                "using Vanara.PInvoke;",
                """
                    private IServerSecurity _security;
                    private Ole32.ISynchronize _sync;
                """,
                impersonate: "_security.ImpersonateClient()",
                revert: "_security.RevertToSelf()",
                signal: "_sync.Signal()",
                failureCheck: "{0} < 0",
                impersonateName: "IServerSecurity.ImpersonateClient",
                signalName: "",
                recognisesSignal: false),
        };

        private static readonly Dictionary<string, Flavour> ByName =
            AllFlavours.Concat(AllDecoys).ToDictionary(f => f.Name, StringComparer.Ordinal);

        /// <summary>Every real flavour, by name (for <c>[MemberData]</c>).</summary>
        public static TheoryData<string> Names => ToData(AllFlavours);

        /// <summary>The flavours whose impersonation reports its result (all but throwing projections).</summary>
        public static TheoryData<string> CheckedNames => ToData(AllFlavours.Where(f => !f.IsThrowing));

        /// <summary>Every decoy.</summary>
        public static TheoryData<string> DecoyNames => ToData(AllDecoys);

        /// <summary>Decoys whose impersonation is not the COM API (the signal is real).</summary>
        public static TheoryData<string> ImpersonationDecoyNames => ToData(AllDecoys.Where(f => !f.RecognisesImpersonate));

        public static Flavour Get(string name) => ByName[name];

        /// <summary>The 1-based line of the first occurrence of <paramref name="text"/> in <paramref name="source"/>.</summary>
        public static int LineOf(string source, string text)
        {
            int index = source.IndexOf(text, StringComparison.Ordinal);
            if (index < 0)
            {
                throw new ArgumentException("'" + text + "' does not occur in the source", nameof(text));
            }

            int line = 1;
            for (int i = 0; i < index; i++)
            {
                if (source[i] == '\n')
                {
                    line++;
                }
            }

            return line;
        }

        private static TheoryData<string> ToData(IEnumerable<Flavour> flavours)
        {
            var data = new TheoryData<string>();
            foreach (Flavour flavour in flavours)
            {
                data.Add(flavour.Name);
            }

            return data;
        }
    }
}
