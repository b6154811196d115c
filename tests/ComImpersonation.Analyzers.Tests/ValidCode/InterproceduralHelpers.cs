// Helpers in the same compilation: an impersonation wrapper and a revert wrapper, a signal wrapper that
// completes the call, an IDisposable scope that impersonates in its constructor and reverts in Dispose, and a
// client-identity helper called before Signal.
// positive-control: COMIMP002, COMIMP007
using System;
using System.IO;
using System.Runtime.InteropServices;

namespace ValidCode.InterproceduralHelpers
{
    [ComImport]
    [Guid("00000030-0000-0000-C000-000000000046")]
    [InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
    internal interface ISynchronize
    {
        void Wait(uint flags, uint milliseconds);

        void Signal();

        void Reset();
    }

    internal static class NativeMethods
    {
        [DllImport("ole32.dll")]
        internal static extern int CoImpersonateClient();

        [DllImport("ole32.dll")]
        internal static extern int CoRevertToSelf();
    }

    internal static class ClientIdentity
    {
        /// <summary>Impersonates the caller; the result is the caller's to check.</summary>
        public static int Impersonate() => NativeMethods.CoImpersonateClient();

        /// <summary>Reverts to the server's identity.</summary>
        public static void Revert() => NativeMethods.CoRevertToSelf();

        /// <summary>Runs <paramref name="path"/>'s existence check as the client.</summary>
        public static bool ExistsAsClient(string path)
        {
            Marshal.ThrowExceptionForHR(NativeMethods.CoImpersonateClient());
            try
            {
                return File.Exists(path);
            }
            finally
            {
                NativeMethods.CoRevertToSelf(); // control: remove
            }
        }
    }

    /// <summary>Impersonates for its lifetime: `using (new ClientIdentityScope()) { ... }`.</summary>
    internal sealed class ClientIdentityScope : IDisposable
    {
        private bool _disposed;

        public ClientIdentityScope()
        {
            Marshal.ThrowExceptionForHR(NativeMethods.CoImpersonateClient());
        }

        public void Dispose()
        {
            if (!_disposed)
            {
                _disposed = true;
                NativeMethods.CoRevertToSelf(); // control: remove
            }
        }
    }

    public sealed class MirrorCallObject
    {
        private readonly ISynchronize _sync;
        private int _hr;
        private bool _exists;

        internal MirrorCallObject(ISynchronize sync)
        {
            _sync = sync;
        }

        private void Complete(int hr)
        {
            _hr = hr;
            _sync.Signal();
        }

        public void Begin_Mirror(string source, string destination)
        {
            int hr = ClientIdentity.Impersonate();
            if (hr < 0)
            {
                Complete(hr);
                return;
            }

            try
            {
                File.Copy(source, destination, overwrite: true);
            }
            catch (IOException e)
            {
                hr = e.HResult;
            }
            finally
            {
                ClientIdentity.Revert(); // control: remove
            }

            Complete(hr);
        }

        public void Finish_Mirror() => Marshal.ThrowExceptionForHR(_hr);

        public void Begin_Move(string source, string destination)
        {
            int hr = 0;
            try
            {
                using (new ClientIdentityScope())
                {
                    File.Move(source, destination);
                }
            }
            catch (IOException e) // a failed impersonation (COMException) propagates to the client
            {
                hr = e.HResult;
            }

            Complete(hr);
        }

        public void Finish_Move() => Marshal.ThrowExceptionForHR(_hr);

        public void Begin_Remove(string path)
        {
            try
            {
                using var scope = new ClientIdentityScope();
                File.Delete(path);
            }
            catch (IOException e) // a failed impersonation (COMException) propagates to the client
            {
                _hr = e.HResult;
            }

            _sync.Signal();
        }

        public void Finish_Remove() => Marshal.ThrowExceptionForHR(_hr);

        public void Begin_Exists(string path)
        {
            try
            {
                _exists = ClientIdentity.ExistsAsClient(path);
            }
            catch (COMException e)
            {
                _hr = e.HResult;
            }

            Complete(_hr);
        }

        public bool Finish_Exists()
        {
            Marshal.ThrowExceptionForHR(_hr);
            return _exists;
        }

        // A wrapper whose bool says whether impersonation succeeded; the HRESULT goes to an out-parameter.
        private static bool TryImpersonate(out int hr)
        {
            hr = NativeMethods.CoImpersonateClient();
            return hr >= 0;
        }

        public void Begin_Stamp(string path)
        {
            if (!TryImpersonate(out int hr))
            {
                Complete(hr);
                return;
            }

            try
            {
                File.SetLastWriteTimeUtc(path, DateTime.UtcNow);
            }
            finally
            {
                NativeMethods.CoRevertToSelf(); // control: remove
            }

            Complete(0);
        }

        public void Finish_Stamp() => Marshal.ThrowExceptionForHR(_hr);

        // Two levels of wrappers, within the default summary depth.
        private static int ImpersonateForAudit() => ClientIdentity.Impersonate();

        public void Begin_Audit(string path)
        {
            int hr = ImpersonateForAudit();
            if (hr >= 0)
            {
                try
                {
                    File.AppendAllText(path, "audited" + Environment.NewLine);
                }
                finally
                {
                    ClientIdentity.Revert(); // control: remove
                }
            }

            Complete(hr);
        }

        public void Finish_Audit() => Marshal.ThrowExceptionForHR(_hr);
    }
}
