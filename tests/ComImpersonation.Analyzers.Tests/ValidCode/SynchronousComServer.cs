// A synchronous COM server ([ComVisible] class, PreserveSig-style methods returning HRESULTs): no ISynchronize
// involved, each method impersonates, checks, and reverts in finally. Also a using statement inside the region.
// positive-control: COMIMP002, COMIMP007
using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace ValidCode.SynchronousComServer
{
    internal static class NativeMethods
    {
        [DllImport("ole32.dll")]
        internal static extern int CoImpersonateClient();

        [DllImport("ole32.dll")]
        internal static extern int CoRevertToSelf();
    }

    [ComVisible(true)]
    [Guid("9A0B64E2-3F4C-4E6A-8F1B-2C7D5E9A1B30")]
    [InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
    public interface IFileService
    {
        [PreserveSig]
        int ReadText([MarshalAs(UnmanagedType.LPWStr)] string path, [MarshalAs(UnmanagedType.BStr)] out string text);

        [PreserveSig]
        int WriteText([MarshalAs(UnmanagedType.LPWStr)] string path, [MarshalAs(UnmanagedType.LPWStr)] string text);

        void Delete([MarshalAs(UnmanagedType.LPWStr)] string path);
    }

    [ComVisible(true)]
    [Guid("1D3F5B7A-9C2E-4B6D-8A0F-3E5C7A9B1D24")]
    [ClassInterface(ClassInterfaceType.None)]
    public sealed class FileService : IFileService
    {
        private const int S_OK = 0;

        public int ReadText(string path, out string text)
        {
            text = null;
            int hr = NativeMethods.CoImpersonateClient();
            if (hr < 0)
            {
                return hr;
            }

            try
            {
                using (var reader = new StreamReader(path, Encoding.UTF8))
                {
                    text = reader.ReadToEnd();
                }

                return S_OK;
            }
            catch (IOException e)
            {
                return e.HResult;
            }
            catch (UnauthorizedAccessException e)
            {
                return e.HResult;
            }
            finally
            {
                NativeMethods.CoRevertToSelf(); // control: remove
            }
        }

        public int WriteText(string path, string text)
        {
            int hr = NativeMethods.CoImpersonateClient();
            if (hr >= 0)
            {
                try
                {
                    File.WriteAllText(path, text);
                }
                catch (IOException e)
                {
                    hr = e.HResult;
                }
                finally
                {
                    NativeMethods.CoRevertToSelf(); // control: remove
                }
            }

            return hr;
        }

        // Not PreserveSig: an exception is the failure result.
        public void Delete(string path)
        {
            Marshal.ThrowExceptionForHR(NativeMethods.CoImpersonateClient());
            try
            {
                if (!File.Exists(path))
                {
                    throw new FileNotFoundException("No such file.", path);
                }

                File.Delete(path);
            }
            finally
            {
                NativeMethods.CoRevertToSelf(); // control: remove
            }
        }

        // A failure turned into an exception by hand.
        internal static string[] ListAsClient(string directory)
        {
            int hr = NativeMethods.CoImpersonateClient();
            if (hr < 0)
            {
                throw Marshal.GetExceptionForHR(hr);
            }

            try
            {
                return Directory.GetFiles(directory);
            }
            finally
            {
                NativeMethods.CoRevertToSelf(); // control: remove
            }
        }

        // Returning the result is acting on it: the caller decides.
        internal static int TryAccess(string path, out bool exists)
        {
            exists = false;
            int hr = NativeMethods.CoImpersonateClient();
            if (hr != 0)
            {
                return hr;
            }

            try
            {
                exists = File.Exists(path);
            }
            finally
            {
                NativeMethods.CoRevertToSelf();
            }

            return hr;
        }
    }
}
