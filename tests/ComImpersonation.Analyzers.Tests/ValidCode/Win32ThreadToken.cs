// Win32 thread tokens (advapi32), no COM at all: a named-pipe server that serves each request as its client, a
// RunAs helper for a logged-on user's token, a save-and-restore of whatever token the thread had (OpenThreadToken,
// then SetThreadToken back to it), an IDisposable scope, a begin helper that returns the BOOL for its caller to
// revert, and a revert helper that restores an identity saved by OpenThreadToken in a field. Every BOOL is acted
// on (zero is failure; the error comes from GetLastWin32Error), and every impersonation is ended in a finally, by
// a Dispose, or by the caller the method hands it to.
// positive-control: COMIMP002, COMIMP007
using System;
using System.ComponentModel;
using System.IO;
using System.IO.Pipes;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace ValidCode.Win32ThreadToken
{
    internal static class NativeMethods
    {
        internal const int TOKEN_IMPERSONATE = 0x0004;
        internal const int TOKEN_QUERY = 0x0008;
        internal const int ERROR_NO_TOKEN = 1008;

        [DllImport("advapi32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        internal static extern bool ImpersonateNamedPipeClient(SafePipeHandle namedPipe);

        [DllImport("advapi32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        internal static extern bool ImpersonateLoggedOnUser(IntPtr token);

        [DllImport("advapi32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        internal static extern bool RevertToSelf();

        [DllImport("advapi32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        internal static extern bool OpenThreadToken(IntPtr thread, int desiredAccess, [MarshalAs(UnmanagedType.Bool)] bool openAsSelf, out IntPtr token);

        // The first parameter is a PHANDLE: null (IntPtr.Zero) means the calling thread.
        [DllImport("advapi32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        internal static extern bool SetThreadToken(IntPtr thread, IntPtr token);

        [DllImport("kernel32.dll")]
        internal static extern IntPtr GetCurrentThread();

        [DllImport("kernel32.dll", SetLastError = true)]
        [return: MarshalAs(UnmanagedType.Bool)]
        internal static extern bool CloseHandle(IntPtr handle);
    }

    /// <summary>One request per connection: the client names a file and gets back its text, read with the client's rights.</summary>
    public sealed class FilePipeServer
    {
        private readonly string _pipeName;

        public FilePipeServer(string pipeName) => _pipeName = pipeName;

        public void ServeOne()
        {
            using (var pipe = new NamedPipeServerStream(_pipeName, PipeDirection.InOut, 1, PipeTransmissionMode.Byte))
            {
                pipe.WaitForConnection();
                var reader = new StreamReader(pipe, Encoding.UTF8, false, 1024, leaveOpen: true);
                var writer = new StreamWriter(pipe, new UTF8Encoding(false), 1024, leaveOpen: true);

                // A pipe client can only be impersonated once something has been read from the pipe.
                string path = reader.ReadLine();
                string reply;
                if (!NativeMethods.ImpersonateNamedPipeClient(pipe.SafePipeHandle))
                {
                    throw new Win32Exception(Marshal.GetLastWin32Error());
                }

                try
                {
                    reply = File.Exists(path) ? File.ReadAllText(path) : string.Empty;
                }
                finally
                {
                    // Carrying on as the client would be worse than stopping the process.
                    if (!NativeMethods.RevertToSelf()) Environment.FailFast("RevertToSelf failed."); // control: remove
                }

                writer.Write(reply);
                writer.Flush();
                pipe.WaitForPipeDrain();
            }
        }
    }

    public static class Impersonation
    {
        /// <summary>Runs <paramref name="action"/> as the user of <paramref name="token"/> and returns what it returns.</summary>
        public static T RunAs<T>(IntPtr token, Func<T> action)
        {
            if (action == null)
            {
                throw new ArgumentNullException(nameof(action));
            }

            if (!NativeMethods.ImpersonateLoggedOnUser(token))
            {
                throw new Win32Exception(Marshal.GetLastWin32Error());
            }

            try
            {
                return action();
            }
            finally
            {
                NativeMethods.RevertToSelf(); // control: remove
            }
        }

        /// <summary>
        /// Like <see cref="RunAs{T}"/>, but for a thread that may already be impersonating (an RPC or pipe client):
        /// afterwards the thread gets back exactly the token it had, or none.
        /// </summary>
        public static void RunNested(IntPtr token, Action action)
        {
            if (!NativeMethods.OpenThreadToken(NativeMethods.GetCurrentThread(), NativeMethods.TOKEN_IMPERSONATE | NativeMethods.TOKEN_QUERY, true, out IntPtr saved))
            {
                int error = Marshal.GetLastWin32Error();
                if (error != NativeMethods.ERROR_NO_TOKEN)
                {
                    throw new Win32Exception(error);
                }

                saved = IntPtr.Zero; // not impersonating: restoring "no token" reverts
            }

            try
            {
                if (!NativeMethods.ImpersonateLoggedOnUser(token))
                {
                    throw new Win32Exception(Marshal.GetLastWin32Error());
                }

                try
                {
                    action();
                }
                finally
                {
                    if (!NativeMethods.SetThreadToken(IntPtr.Zero, saved)) Environment.FailFast("Cannot restore the thread token."); // control: remove
                }
            }
            finally
            {
                if (saved != IntPtr.Zero)
                {
                    NativeMethods.CloseHandle(saved);
                }
            }
        }
    }

    /// <summary><c>using (new UserScope(token)) { ... }</c>: impersonates in the constructor, reverts in Dispose.</summary>
    public sealed class UserScope : IDisposable
    {
        private bool _impersonating;

        public UserScope(IntPtr token)
        {
            if (!NativeMethods.ImpersonateLoggedOnUser(token))
            {
                throw new Win32Exception(Marshal.GetLastWin32Error());
            }

            _impersonating = true;
        }

        public void Dispose()
        {
            if (_impersonating)
            {
                _impersonating = false;
                NativeMethods.RevertToSelf(); // control: remove
            }
        }
    }

    /// <summary>A service account whose token (from LogonUser) may not have been obtained.</summary>
    public sealed class ServiceAccount
    {
        private readonly IntPtr _token;

        public ServiceAccount(IntPtr token) => _token = token;

        /// <summary>Impersonates the account; when this returns true the caller must revert.</summary>
        public bool TryBeginImpersonation()
        {
            if (_token == IntPtr.Zero)
            {
                return false;
            }

            return NativeMethods.ImpersonateLoggedOnUser(_token);
        }

        public string ReadAsAccount(string path)
        {
            if (!TryBeginImpersonation())
            {
                throw new UnauthorizedAccessException("The service account cannot be impersonated.");
            }

            try
            {
                return File.ReadAllText(path);
            }
            finally
            {
                NativeMethods.RevertToSelf(); // control: remove
            }
        }

        public void WriteAsAccount(string path, string text)
        {
            using (new UserScope(_token))
            {
                File.WriteAllText(path, text);
            }
        }
    }

    /// <summary>
    /// Switches the thread to another user and back to the identity it had before: its own, or the token it was
    /// impersonating, which <see cref="SaveIdentity"/> keeps in a field.
    /// </summary>
    public sealed class IdentitySwitch
    {
        private IntPtr _previous;

        private void SaveIdentity()
        {
            if (!NativeMethods.OpenThreadToken(NativeMethods.GetCurrentThread(), NativeMethods.TOKEN_IMPERSONATE, true, out _previous))
            {
                _previous = IntPtr.Zero; // ERROR_NO_TOKEN: the thread runs as the process
            }
        }

        /// <summary>Ends the switch: back to the process identity, then to the saved token if there was one.</summary>
        private void RestoreIdentity()
        {
            if (!NativeMethods.RevertToSelf())
            {
                Environment.FailFast("RevertToSelf failed.");
            }

            if (_previous != IntPtr.Zero)
            {
                if (!NativeMethods.ImpersonateLoggedOnUser(_previous))
                {
                    Environment.FailFast("Cannot restore the saved identity.");
                }

                NativeMethods.CloseHandle(_previous);
                _previous = IntPtr.Zero;
            }
        }

        public void RunAs(IntPtr user, Action action)
        {
            SaveIdentity();
            if (!NativeMethods.ImpersonateLoggedOnUser(user))
            {
                int error = Marshal.GetLastWin32Error();
                if (_previous != IntPtr.Zero)
                {
                    NativeMethods.CloseHandle(_previous);
                    _previous = IntPtr.Zero;
                }

                throw new Win32Exception(error);
            }

            try
            {
                action();
            }
            finally
            {
                RestoreIdentity(); // control: remove
            }
        }
    }
}
