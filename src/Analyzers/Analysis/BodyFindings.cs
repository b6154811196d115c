using System.Collections.Generic;
using System.Threading;
using ComImpersonation.Analyzers.Api;
using ComImpersonation.Analyzers.Flow;
using Microsoft.CodeAnalysis;

namespace ComImpersonation.Analyzers.Analysis
{
    /// <summary>
    /// The facts the flow analysis established about one body, independent of any rule: which impersonations may
    /// follow a signal, which signals may run while impersonating, which impersonations may outlive the method.
    /// Rules decide what to report from these.
    /// </summary>
    internal sealed class BodyFindings : IImpersonationObserver
    {
        private readonly HashSet<int> _afterSignal = new HashSet<int>();
        private readonly HashSet<int> _signalWhileActive = new HashSet<int>();
        private readonly HashSet<int> _afterAwait = new HashSet<int>();
        private readonly HashSet<int> _acrossAwait = new HashSet<int>();

        private BodyFindings(BodySession.Body body, BodyModel model)
        {
            Body = body;
            Model = model;
        }

        public BodySession.Body Body { get; }

        public BodyModel Model { get; }

        /// <summary>Impersonations that may run after a signal, each with the (first) signal that may precede it.</summary>
        public List<(ImpersonationSite Impersonation, SignalSite Signal)> ImpersonatedAfterSignal { get; } = new List<(ImpersonationSite, SignalSite)>();

        /// <summary>Signals that may run while an impersonation is active, each with the (first) active impersonation.</summary>
        public List<(SignalSite Signal, ImpersonationSite Impersonation)> SignalledWhileImpersonating { get; } = new List<(SignalSite, ImpersonationSite)>();

        /// <summary>Impersonations that may still be active when the body returns normally.</summary>
        public List<ImpersonationSite> ActiveAtNormalExit { get; } = new List<ImpersonationSite>();

        /// <summary>Impersonations that may still be active when an exception leaves the body.</summary>
        public List<ImpersonationSite> ActiveAtExceptionalExit { get; } = new List<ImpersonationSite>();

        /// <summary>Impersonations that may run after an <c>await</c> (possibly on another thread).</summary>
        public List<ImpersonationSite> ImpersonatedAfterAwait { get; } = new List<ImpersonationSite>();

        /// <summary>Impersonations that may still be active at an <c>await</c>, each with the first such await.</summary>
        public List<(ImpersonationSite Impersonation, IOperation Await)> ActiveAcrossAwait { get; } = new List<(ImpersonationSite, IOperation)>();

        /// <summary>
        /// The body impersonates on every path that returns normally and never reverts: it hands the impersonation
        /// to its caller (SPEC §2, impersonation wrapper), so a missing revert is the caller's to answer for.
        /// A body that also signals does more than hand over an impersonation, and a Begin_/Finish_ method is
        /// called by COM, not by code that could revert: neither is a wrapper (SPEC §3: code with no revert at
        /// all gets both COMIMP002 and COMIMP003).
        /// </summary>
        public bool IsImpersonationWrapper { get; private set; }

        /// <summary>Runs the analysis; null when the body does nothing of interest or the fixed point was not reached.</summary>
        public static BodyFindings? Analyze(BodySession.Body body, BodyModel model, CancellationToken cancellationToken)
        {
            if (model.IsInert)
            {
                return null;
            }

            FlowResult<ImpersonationState>? result = ForwardFlowEngine<ImpersonationState>.Run(
                model.Graph, new ImpersonationDomain(model, observer: null), ImpersonationState.Entry, cancellationToken);
            if (result is null)
            {
                return null; // did not converge within its bound: stay quiet rather than guess
            }

            var findings = new BodyFindings(body, model);
            var replay = new ImpersonationDomain(model, findings);
            foreach (KeyValuePair<Microsoft.CodeAnalysis.FlowAnalysis.BasicBlock, ImpersonationState> entry in result.BlockInputs())
            {
                replay.Transfer(entry.Key, entry.Value, out _);
            }

            ImpersonationState exit = result.NormalExit;
            if (exit.IsReachable)
            {
                foreach (int site in exit.Active)
                {
                    findings.ActiveAtNormalExit.Add(model.Impersonations[site]);
                }

                findings.IsImpersonationWrapper = exit.AlwaysImpersonated
                    && !model.HasRevert
                    && model.Signals.Count == 0
                    && !ApiModel.IsComEntryPoint(body.Symbol);
            }

            foreach (int site in result.ExceptionalExit.Active)
            {
                findings.ActiveAtExceptionalExit.Add(model.Impersonations[site]);
            }

            findings.ImpersonatedAfterSignal.Sort((a, b) => a.Impersonation.Index.CompareTo(b.Impersonation.Index));
            findings.SignalledWhileImpersonating.Sort((a, b) => a.Signal.Index.CompareTo(b.Signal.Index));
            findings.ImpersonatedAfterAwait.Sort((a, b) => a.Index.CompareTo(b.Index));
            findings.ActiveAcrossAwait.Sort((a, b) => a.Impersonation.Index.CompareTo(b.Impersonation.Index));
            return findings;
        }

        void IImpersonationObserver.OnImpersonate(ImpersonationSite site, ImpersonationState before)
        {
            if (before.Signal >= 0 && _afterSignal.Add(site.Index))
            {
                ImpersonatedAfterSignal.Add((site, Model.Signals[before.Signal]));
            }

            if (before.MayHaveAwaited && _afterAwait.Add(site.Index))
            {
                ImpersonatedAfterAwait.Add(site);
            }
        }

        void IImpersonationObserver.OnSignal(SignalSite site, ImpersonationState before)
        {
            if (!before.Active.IsEmpty && _signalWhileActive.Add(site.Index))
            {
                SignalledWhileImpersonating.Add((site, Model.Impersonations[before.Active.Min()]));
            }
        }

        void IImpersonationObserver.OnAwait(IOperation awaitOperation, ImpersonationState before)
        {
            foreach (int site in before.Active)
            {
                if (_acrossAwait.Add(site))
                {
                    ActiveAcrossAwait.Add((Model.Impersonations[site], awaitOperation));
                }
            }
        }
    }
}
