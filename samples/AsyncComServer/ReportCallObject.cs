using System;
using System.IO;
using System.Runtime.InteropServices;
using AsyncComServer.Interop;

namespace AsyncComServer
{
    /// <summary>
    /// The call object for one asynchronous call, done right. Two rules from "Impersonation and Asynchronous Calls"
    /// (Windows COM docs) shape every Begin_ method:
    ///  1. "The server cannot impersonate the client after its call to ISynchronize::Signal completes",
    ///     even if Begin_ has not returned yet: impersonation then fails with RPC_E_CALL_COMPLETE.
    ///  2. A token taken before Signal stays on the thread "until the server calls RevertToSelf, or until
    ///     Begin_ returns", so anything done after Signal would still run as the client.
    /// Hence: impersonate first, check the result, revert in a finally, and Signal last.
    /// Compare <see cref="LegacyReportCallObject"/>, which gets each of these wrong once.
    /// </summary>
    public sealed class ReportCallObject : AsyncIReportGenerator
    {
        private readonly ReportStore _store;
        private readonly ISynchronize _sync;
        private int _hr;
        private string? _report;

        internal ReportCallObject(ReportStore store, ISynchronize sync)
        {
            _store = store;
            _sync = sync;
        }

        // Right: impersonate, check the HRESULT, revert in finally, then Signal.
        public void Begin_Generate(string reportName)
        {
            int hr = Ole32.CoImpersonateClient();
            if (hr < 0)
            {
                // Impersonation failed, so this thread is not impersonating: there is nothing to revert.
                // Complete the call with the error rather than do the work as the server.
                _hr = hr;
                _sync.Signal();
                return;
            }

            try
            {
                _report = _store.Render(reportName);          // the client's right to read the template is checked
                _store.AppendAudit(reportName, "generated");  // the audit record is written as the client
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                hr = e.HResult;
            }
            finally
            {
                Ole32.CoRevertToSelf();
            }

            _hr = hr;
            _sync.Signal(); // last: after it, the call context is gone
        }

        public string Finish_Generate()
        {
            // Finish_ runs after Signal: there is no call context left, so nothing here needs the client.
            Marshal.ThrowExceptionForHR(_hr);
            return _report ?? string.Empty;
        }

        // Right: the same order with the call context's IServerSecurity instead of the Co* helpers.
        // The context exists only on this thread and only until Signal, so it is fetched first.
        public void Begin_Export(string reportName, string destinationDirectory)
        {
            int hr = Ole32.CoGetCallContext(InterfaceIds.IServerSecurity, out IServerSecurity? context);
            if (hr >= 0 && context != null)
            {
                hr = context.ImpersonateClient();
                if (hr >= 0)
                {
                    try
                    {
                        _store.WriteTo(reportName, destinationDirectory); // the client's rights on its own directory
                    }
                    catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
                    {
                        hr = e.HResult;
                    }
                    finally
                    {
                        context.RevertToSelf(); // on the same IServerSecurity that impersonated
                    }
                }

                // On the failure path impersonation did not happen: no revert is owed.
            }

            _hr = hr;
            _sync.Signal();
        }

        public void Finish_Export() => Marshal.ThrowExceptionForHR(_hr);

        // Right: Begin_ releases the client in a finally, whatever happens; the client-identity work is done
        // (and reverted) in a helper that returns before Signal.
        public void Begin_Publish(string reportName, string shareDirectory)
        {
            try
            {
                _hr = PublishAsClient(reportName, shareDirectory);
            }
            finally
            {
                _sync.Signal();
            }
        }

        public void Finish_Publish() => Marshal.ThrowExceptionForHR(_hr);

        private int PublishAsClient(string reportName, string shareDirectory)
        {
            int hr = Ole32.CoImpersonateClient();
            if (hr < 0)
            {
                return hr; // failed: not impersonating, nothing to revert
            }

            try
            {
                if (!Directory.Exists(shareDirectory))
                {
                    return HResults.E_PATHNOTFOUND; // the finally below reverts on this path too
                }

                _store.WriteTo(reportName, shareDirectory);
                _store.DeleteOldCopies(reportName, shareDirectory);
                return HResults.S_OK;
            }
            finally
            {
                Ole32.CoRevertToSelf();
            }
        }
    }
}
