using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis.Testing;
using Xunit;

namespace ComImpersonation.Analyzers.Tests.Infrastructure
{
    /// <summary>How an impersonation reports failure in a flavour, which decides what test code can do with it.</summary>
    internal enum ResultKind
    {
        /// <summary><c>void ImpersonateClient()</c>: the runtime throws on failure.</summary>
        Throwing,

        /// <summary>PreserveSig <c>int</c>.</summary>
        Int32,

        /// <summary><c>uint</c> (P/Invokes declared with an unsigned HRESULT).</summary>
        UInt32,

        /// <summary>CsWin32's <c>Windows.Win32.Foundation.HRESULT</c>: implicit to int, <c>Failed</c>, <c>ThrowOnFailure()</c>, <c>HRESULT.S_OK</c>.</summary>
        CsWin32Hresult,

        /// <summary>Vanara's <c>HRESULT</c>: explicit to int, <c>Failed</c>, <c>ThrowIfFailed()</c>, <c>HRESULT.S_OK</c> (const int).</summary>
        VanaraHresult,

        /// <summary>TerraFX's <c>HRESULT</c>: relational operators, <c>FAILED</c>/<c>SUCCEEDED</c>/<c>S_OK</c> on the static class <c>Windows</c>.</summary>
        TerraFXHresult,
    }

    /// <summary>
    /// Test code for the rules COMIMP004-007: a call object with arbitrary members in one interop flavour of
    /// <see cref="Flavours"/>, with the helpers those rules' tests need (<c>FAILED</c>/<c>SUCCEEDED</c>, <c>S_OK</c>,
    /// a result field) written the way each flavour's result type allows.
    /// </summary>
    internal static class RuleCode
    {
        /// <summary>The using directives every test source gets, before the flavour's own.</summary>
        public const string CommonUsings = """
            using System;
            using System.Runtime.InteropServices;
            using System.Threading;
            using System.Threading.Tasks;
            """;

        // A throwing projection of [GeneratedComInterface] (no PreserveSig): a second throwing flavour, so that the
        // throwing rules are not tested on [ComImport] alone.
        private const string GeneratedComThrowingInterfaces = """
            using System;
            using System.Runtime.InteropServices;
            using System.Runtime.InteropServices.Marshalling;

            namespace Server.ThrowingCom
            {
                [GeneratedComInterface]
                [Guid("0000013E-0000-0000-C000-000000000046")]
                internal partial interface IServerSecurity
                {
                    void QueryBlanket(out uint pAuthnSvc, out uint pAuthzSvc, out IntPtr pServerPrincName, out uint pAuthnLevel, out uint pImpLevel, out IntPtr pPrivs, ref uint pCapabilities);

                    void ImpersonateClient();

                    void RevertToSelf();

                    [PreserveSig]
                    int IsImpersonating();
                }

                [GeneratedComInterface]
                [Guid("00000030-0000-0000-C000-000000000046")]
                internal partial interface ISynchronize
                {
                    void Wait(uint dwFlags, uint dwMilliseconds);

                    void Signal();

                    void Reset();
                }
            }
            """;

        private static readonly Flavour[] Extras =
        {
            new Flavour(
                "GeneratedComInterface.Throwing",
                new[] { GeneratedComThrowingInterfaces },
                "using Server.ThrowingCom;",
                """
                    private IServerSecurity _security;
                    private ISynchronize _sync;
                """,
                impersonate: "_security.ImpersonateClient()",
                revert: "_security.RevertToSelf()",
                signal: "_sync.Signal()",
                failureCheck: null,
                impersonateName: "IServerSecurity.ImpersonateClient",
                signalName: "ISynchronize.Signal"),
        };

        private static readonly Dictionary<string, ResultKind> KindByName = new Dictionary<string, ResultKind>(StringComparer.Ordinal)
        {
            ["ComImport"] = ResultKind.Int32,
            ["ComImport.Throwing"] = ResultKind.Throwing,
            ["ComImport.ISynchronizeMutex"] = ResultKind.Int32,
            ["DllImport.ole32"] = ResultKind.Int32,
            ["DllImport.EntryPoint"] = ResultKind.Int32,
            ["DllImport.combase"] = ResultKind.Int32,
            ["DllImport.ApiSet"] = ResultKind.UInt32,
            ["LibraryImport.Forwarder"] = ResultKind.Int32,
            ["LibraryImport.Stub"] = ResultKind.Int32,
            ["CsWin32.Com"] = ResultKind.CsWin32Hresult,
            ["CsWin32.PInvoke"] = ResultKind.CsWin32Hresult,
            ["CsWin32.Vtable"] = ResultKind.CsWin32Hresult,
            ["Vanara.Ole32"] = ResultKind.VanaraHresult,
            ["Vanara.IServerSecurity"] = ResultKind.VanaraHresult,
            ["GeneratedComInterface"] = ResultKind.Int32,
            ["GeneratedComInterface.Throwing"] = ResultKind.Throwing,
            ["TerraFX"] = ResultKind.TerraFXHresult,
            ["SilkNET"] = ResultKind.Int32,
        };

        /// <summary>Every real flavour of <see cref="Flavours"/> plus the extra throwing flavour defined here.</summary>
        public static TheoryData<string> AllNames => ToData(AllFlavourNames());

        /// <summary>Flavours whose impersonation returns a result (int, uint or an HRESULT struct).</summary>
        public static TheoryData<string> CheckedNames => ToData(AllFlavourNames().Where(n => !Get(n).IsThrowing));

        /// <summary>Flavours whose impersonation is a throwing projection (<c>void ImpersonateClient()</c>).</summary>
        public static TheoryData<string> ThrowingNames => ToData(AllFlavourNames().Where(n => Get(n).IsThrowing));

        /// <summary>Flavours whose result is an HRESULT struct with <c>Failed</c> / <c>Succeeded</c> properties.</summary>
        public static TheoryData<string> FailedPropertyNames =>
            ToData(AllFlavourNames().Where(n => Kind(Get(n)) is ResultKind.CsWin32Hresult or ResultKind.VanaraHresult));

        public static Flavour Get(string name) =>
            Extras.FirstOrDefault(f => f.Name == name) ?? Flavours.Get(name);

        public static ResultKind Kind(Flavour flavour)
        {
            if (!KindByName.TryGetValue(flavour.Name, out ResultKind kind))
            {
                throw new InvalidOperationException(
                    "Flavour '" + flavour.Name + "' is new: add its result kind to RuleCode.KindByName so the COMIMP004-007 tests know what compiles.");
            }

            if ((kind == ResultKind.Throwing) != flavour.IsThrowing)
            {
                throw new InvalidOperationException("RuleCode.KindByName disagrees with Flavours about '" + flavour.Name + "'.");
            }

            return kind;
        }

        /// <summary>The impersonation's result type as test code writes it.</summary>
        public static string ResultType(Flavour flavour) => Kind(flavour) switch
        {
            ResultKind.Int32 => "int",
            ResultKind.UInt32 => "uint",
            ResultKind.Throwing => throw new InvalidOperationException(flavour.Name + " has no result"),
            _ => "HRESULT",
        };

        /// <summary><paramref name="expression"/> (a result) as something that compares with <c>0</c> by <c>&lt;</c> / <c>&gt;=</c>.</summary>
        public static string Signed(Flavour flavour, string expression) => Kind(flavour) switch
        {
            ResultKind.UInt32 or ResultKind.VanaraHresult => "(int)" + expression,
            _ => expression, // int; CsWin32's implicit int; TerraFX's relational operators
        };

        /// <summary><paramref name="expression"/> (a result) as an <c>int</c> argument of <c>Marshal.ThrowExceptionForHR</c>.</summary>
        public static string AsInt(Flavour flavour, string expression) => Kind(flavour) switch
        {
            ResultKind.Int32 or ResultKind.CsWin32Hresult => expression,
            _ => "(int)" + expression,
        };

        /// <summary>The success constant: the class's <c>S_OK</c>, <c>HRESULT.S_OK</c>, or TerraFX's imported <c>S_OK</c>.</summary>
        public static string SOk(Flavour flavour) => Kind(flavour) switch
        {
            ResultKind.CsWin32Hresult or ResultKind.VanaraHresult => "HRESULT.S_OK",
            _ => "S_OK",
        };

        /// <summary>The HRESULT struct's own throw-on-failure method, if it has one.</summary>
        public static string? ThrowMethod(Flavour flavour) => Kind(flavour) switch
        {
            ResultKind.CsWin32Hresult => "ThrowOnFailure",
            ResultKind.VanaraHresult => "ThrowIfFailed",
            _ => null,
        };

        /// <summary>
        /// A call object in <paramref name="flavour"/> with <paramref name="members"/>. It is <c>partial</c> (tests may
        /// add a second part in another file) and has <c>Work()</c> (an ordinary call that may throw), <c>Log(object)</c>,
        /// <c>_flag</c>, <c>_mode</c> and, for result flavours, <c>_lastResult</c>, <c>FAILED</c>/<c>SUCCEEDED</c> and <c>S_OK</c>.
        /// </summary>
        public static string Class(Flavour flavour, string members, bool declareFields = true) => $$"""
            {{CommonUsings}}
            {{flavour.Usings}}

            {{flavour.ClassModifiers}}partial class CallObject
            {
            {{(declareFields ? flavour.Members : "")}}
            {{(declareFields ? Helpers(flavour) : "")}}
            {{members}}
            }
            """;

        /// <summary>The flavour's declarations and a call object with <paramref name="members"/>, checked against <paramref name="expected"/> (and the markup).</summary>
        public static Task VerifyAsync(Flavour flavour, string members, params DiagnosticResult[] expected) =>
            Verify.AnalyzerAsync(flavour.Sources(Class(flavour, members)), expected);

        /// <summary>
        /// C# 12 forbids <c>await</c> in an unsafe context (CS4004), and a vtable-struct flavour makes the whole call
        /// object unsafe. Async code in those flavours reaches the struct through a <c>ref</c>-returning property, the
        /// way such code bases do; other flavours are returned unchanged.
        /// </summary>
        public static Flavour AwaitFriendly(Flavour flavour)
        {
            if (flavour.ClassModifiers.Length == 0)
            {
                return flavour;
            }

            string members = flavour.Members.Replace("private ", "private unsafe ", StringComparison.Ordinal) + """

                    private unsafe ref IServerSecurity Security => ref *_security;
                    private unsafe ref ISynchronize Sync => ref *_sync;
                """;
            return new Flavour(
                flavour.Name,
                flavour.Declarations,
                flavour.Usings,
                members,
                impersonate: flavour.Impersonate.Replace("_security->", "Security.", StringComparison.Ordinal),
                revert: flavour.Revert.Replace("_security->", "Security.", StringComparison.Ordinal),
                signal: flavour.Signal.Replace("_sync->", "Sync.", StringComparison.Ordinal),
                failureCheck: flavour.FailureCheck,
                impersonateName: flavour.ImpersonateName,
                signalName: flavour.SignalName);
        }

        private static string Helpers(Flavour flavour)
        {
            const string Common = """
                    private bool _flag;
                    private int _mode;

                    private void Work() { }

                    private static void Log(object value) { }
                """;
            ResultKind kind = Kind(flavour);
            if (kind == ResultKind.Throwing)
            {
                return Common;
            }

            string type = ResultType(flavour);
            string result = $$"""

                    private {{type}} _lastResult;
                """;
            if (kind == ResultKind.TerraFXHresult)
            {
                return Common + result; // FAILED, SUCCEEDED and S_OK come from `using static TerraFX.Interop.Windows.Windows`
            }

            string sOk = kind is ResultKind.Int32 or ResultKind.UInt32 ? "\n    private const int S_OK = 0;" : "";
            return Common + result + sOk + $$"""

                    private static bool FAILED({{type}} hr) => (int)hr < 0;
                    private static bool SUCCEEDED({{type}} hr) => (int)hr >= 0;
                """;
        }

        private static IEnumerable<string> AllFlavourNames()
        {
            foreach (string name in Flavours.Names)
            {
                yield return name;
            }

            foreach (Flavour extra in Extras)
            {
                yield return extra.Name;
            }
        }

        private static TheoryData<string> ToData(IEnumerable<string> names)
        {
            var data = new TheoryData<string>();
            foreach (string name in names)
            {
                data.Add(name);
            }

            return data;
        }
    }
}
