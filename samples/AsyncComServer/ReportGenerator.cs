using System;
using System.IO;
using System.Runtime.InteropServices;
using AsyncComServer.Interop;

namespace AsyncComServer
{
    /// <summary>
    /// The server object. Synchronous calls arrive on <see cref="IReportGenerator"/>; for an asynchronous call
    /// COM asks <see cref="ICallFactory.CreateCall"/> for a call object implementing
    /// <see cref="AsyncIReportGenerator"/> and aggregates it into its own, which implements ISynchronize.
    /// </summary>
    [ComVisible(true)]
    [Guid("9E4D2C13-7F5A-4B86-A1C0-3D8E6F2B5A33")]
    [ClassInterface(ClassInterfaceType.None)]
    public sealed class ReportGenerator : IReportGenerator, ICallFactory
    {
        private readonly ReportStore _store;

        public ReportGenerator()
        {
            _store = new ReportStore(
                Path.Combine(AppContext.BaseDirectory, "Templates"),
                Path.Combine(AppContext.BaseDirectory, "Audit"));
        }

        public string Generate(string reportName)
        {
            string report = string.Empty;
            RunAsClient(() =>
            {
                report = _store.Render(reportName);
                _store.AppendAudit(reportName, "generated");
            });
            return report;
        }

        public void Export(string reportName, string destinationDirectory) =>
            RunAsClient(() => _store.WriteTo(reportName, destinationDirectory));

        public void Publish(string reportName, string shareDirectory) =>
            RunAsClient(() =>
            {
                _store.WriteTo(reportName, shareDirectory);
                _store.DeleteOldCopies(reportName, shareDirectory);
            });

        void ICallFactory.CreateCall(ref Guid riid, IntPtr controllingUnknown, ref Guid riid2, out IntPtr call)
        {
            call = IntPtr.Zero;
            if (riid != typeof(AsyncIReportGenerator).GUID)
            {
                throw new COMException("Only AsyncIReportGenerator is asynchronous.", HResults.E_NOINTERFACE);
            }

            // A call object is always aggregated: its controlling unknown is COM's, and it implements ISynchronize.
            if (controllingUnknown == IntPtr.Zero || riid2 != InterfaceIds.IUnknown)
            {
                throw new COMException("Call objects must be aggregated.", HResults.CLASS_E_NOAGGREGATION);
            }

            var sync = (ISynchronize)Marshal.GetObjectForIUnknown(controllingUnknown);
            call = Marshal.CreateAggregatedObject(controllingUnknown, new ReportCallObject(_store, sync));
        }

        /// <summary>
        /// Runs <paramref name="work"/> as the client of the synchronous call being dispatched. There is no Signal
        /// in a synchronous call: the call context lasts until this method's caller returns.
        /// </summary>
        private static void RunAsClient(Action work)
        {
            // A failed impersonation throws: the work never runs as the server by mistake.
            Marshal.ThrowExceptionForHR(Ole32.CoImpersonateClient());
            try
            {
                work();
            }
            finally
            {
                Ole32.CoRevertToSelf();
            }
        }
    }
}
