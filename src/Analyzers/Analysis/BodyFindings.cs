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
        private readonly HashSet<int> _impersonated = new HashSet<int>();
        private bool _restores;

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
        /// Impersonations that some normal path hands to the caller (SPEC §2 hand-offs: it returns or stores what ends
        /// them, reports them in its result, or only started them). They are the caller's to end, not leaks.
        /// </summary>
        public SiteSet HandedOff { get; private set; }

        /// <summary>
        /// Every path that leaves the thread impersonating hands the impersonation to the caller, and one does: a call
        /// of this body is an impersonation in its caller (on the success branch of its result).
        /// </summary>
        public bool HandsOff => !HandedOff.IsEmpty && ActiveAtNormalExit.Count == 0;

        /// <summary>The body ends impersonations: it reverts, or restores a token saved from the thread.</summary>
        public bool Reverts => Model.HasRevert || _restores;

        /// <summary>Impersonation sites that impersonate on some path (a restore of a saved token does not).</summary>
        public bool Impersonates => _impersonated.Count > 0;

        /// <summary>Runs the analysis; null when the body does nothing of interest or the fixed point was not reached.</summary>
        public static BodyFindings? Analyze(BodySession.Body body, BodyModel model, CancellationToken cancellationToken)
        {
            if (model.IsInert)
            {
                return null;
            }

            FlowResult<ImpersonationState>? result = ForwardFlowEngine<ImpersonationState>.Run(
                model.Graph, new ImpersonationDomain(model, observer: null, cancellationToken), ImpersonationState.EntryWithSaved(model.SavedFieldsOnEntry), cancellationToken);
            if (result is null)
            {
                return null; // did not converge within its bound: stay quiet rather than guess
            }

            var findings = new BodyFindings(body, model);
            var replay = new ImpersonationDomain(model, findings, cancellationToken);
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

                findings.HandedOff = exit.HandedOff;
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
            _impersonated.Add(site.Index);
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

        void IImpersonationObserver.OnRestore(ImpersonationSite site) => _restores = true;

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
