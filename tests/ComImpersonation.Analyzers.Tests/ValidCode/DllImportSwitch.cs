// ole32 P/Invokes, checked with Marshal.ThrowExceptionForHR and with comparisons, inside a switch over the
// request kind: each case impersonates and reverts in its own finally; Signal after the switch.
// positive-control: COMIMP002, COMIMP007
using System;
using System.IO;
using System.Runtime.InteropServices;

namespace ValidCode.DllImportSwitch
{
    [ComImport]
    [Guid("00000030-0000-0000-C000-000000000046")]
    [InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
    internal interface ISynchronize
    {
        [PreserveSig]
        int Wait(uint flags, uint milliseconds);

        [PreserveSig]
        int Signal();

        [PreserveSig]
        int Reset();
    }

    internal static class NativeMethods
    {
        [DllImport("ole32.dll")]
        internal static extern int CoImpersonateClient();

        [DllImport("ole32.dll")]
        internal static extern int CoRevertToSelf();
    }

    internal enum RequestKind
    {
        Read,
        Write,
        Append,
        Ping,
        Cancel,
    }

    public sealed class FileRequestCallObject
    {
        private const int E_INVALIDARG = unchecked((int)0x80070057);

        private readonly ISynchronize _sync;
        private int _hr;
        private string _result;

        internal FileRequestCallObject(ISynchronize sync)
        {
            _sync = sync;
        }

        internal void Begin_Execute(RequestKind kind, string path, string payload)
        {
            try
            {
                switch (kind)
                {
                    case RequestKind.Read:
                        Marshal.ThrowExceptionForHR(NativeMethods.CoImpersonateClient());
                        try
                        {
                            _result = File.ReadAllText(path);
                        }
                        finally
                        {
                            NativeMethods.CoRevertToSelf(); // control: remove
                        }

                        break;

                    case RequestKind.Write:
                    {
                        int hr = NativeMethods.CoImpersonateClient();
                        if (hr < 0)
                        {
                            _hr = hr;
                            break;
                        }

                        try
                        {
                            File.WriteAllText(path, payload);
                        }
                        finally
                        {
                            NativeMethods.CoRevertToSelf(); // control: remove
                        }

                        break;
                    }

                    case RequestKind.Append when payload.Length > 0:
                    {
                        int hr = NativeMethods.CoImpersonateClient();
                        if (hr >= 0)
                        {
                            try
                            {
                                File.AppendAllText(path, payload);
                            }
                            finally
                            {
                                NativeMethods.CoRevertToSelf(); // control: remove
                            }
                        }

                        _hr = hr;
                        break;
                    }

                    case RequestKind.Ping:
                        _result = "pong"; // needs no client identity
                        break;

                    case RequestKind.Cancel:
                        _result = null;
                        _sync.Signal(); // completes at once; no other case runs after it
                        return;

                    default:
                        _hr = E_INVALIDARG;
                        break;
                }
            }
            catch (Exception e) when (e is COMException || e is IOException || e is UnauthorizedAccessException)
            {
                _hr = e.HResult;
            }

            _sync.Signal();
        }

        internal string Finish_Execute()
        {
            Marshal.ThrowExceptionForHR(_hr);
            return _result;
        }

        // A switch expression picks the work; the impersonated region is the same for every kind.
        internal void Begin_Size(RequestKind kind, string path)
        {
            int hr = NativeMethods.CoImpersonateClient();
            if (hr < 0)
            {
                _hr = hr;
                _sync.Signal();
                return;
            }

            try
            {
                _result = kind switch
                {
                    RequestKind.Read => new FileInfo(path).Length.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    RequestKind.Ping => "0",
                    _ => throw new ArgumentOutOfRangeException(nameof(kind)),
                };
            }
            catch (Exception e) when (e is IOException || e is ArgumentOutOfRangeException)
            {
                _hr = e.HResult;
            }
            finally
            {
                NativeMethods.CoRevertToSelf(); // control: remove
            }

            _sync.Signal();
        }

        internal string Finish_Size() => _result;
    }
}
