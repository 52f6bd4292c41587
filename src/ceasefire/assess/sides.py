"""Attribution: the probability of each party, from a position's uncertainty
against the contact line and the evidence of the direction of fire.

For a Gaussian position with covariance Σ, the probability of lying left of
the line is Φ(d / σₙ), with d the signed distance (> 0 left) and σₙ² = nᵀΣn
the variance along the line's normal n (the line is locally straight at the
scale of σₙ).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt
from scipy.special import log_ndtr, ndtr, stdtr

from ceasefire.assess.table import EventTable
from ceasefire.mandate import Mandate
from ceasefire.model.vocab import DIRECTIONS, EVENT_KINDS, LAUNCH_EVENT_KINDS

F8 = npt.NDArray[np.float64]
INCOMING, OUTGOING = DIRECTIONS.index("incoming"), DIRECTIONS.index("outgoing")
EXPLOSION = EVENT_KINDS.index("explosion")
BURST_KINDS = np.array([EVENT_KINDS.index("burst"), EVENT_KINDS.index("shot")], np.int8)
LAUNCH_KINDS = np.array([EVENT_KINDS.index(k) for k in LAUNCH_EVENT_KINDS], np.int8)


@dataclass(frozen=True)
class AttributionConfig:
    """Evidence weights (probabilities). The defaults of the nine ``FITTED``
    allowances are fitted by maximum likelihood (``ceasefire calibrate``) on the
    simulator's Donbas heavy days (seeds 2015, 2017) and quiet days (1, 3); a mandate may
    set its own (``attribution.allowances``, see :meth:`for_mandate` and
    docs/assess.md). ``short_band_m`` was fitted with ``impact_across_p`` held at 0.9:
    the likelihood is flat along ``impact_across_p`` above it, and beyond it an impact
    alone would be named at 0.9 (docs/family.md).

    The source of a sound is the launch or the impact of a round. With ``q`` the
    probability that it is the launch and ``s`` the probability that the source
    lies left of the line, the shooter is left with
    ``q·s + (1 - q)·(a·(1 - s) + (1 - a)·s)``, ``a`` the probability that an impact
    came from across the line (:func:`across_p`, averaged over the source's position).
    ``q`` comes from the event kind (``firing``/``burst``/``shot`` are launches,
    ``explosion`` an impact, wrong with ``phase_error_p``), else from the
    direction class (wrong with ``direction_error_p``).
    """

    #: an impact whose launch is unknown came from across the line (fire is
    #: aimed across the line; some rounds fall short), far from the line
    impact_across_p: float = 0.9
    #: a short round lands between its battery and the line, so near the line an
    #: impact is as likely short as aimed: at ``s`` m from the line it came from
    #: across with ``a - (a - 1/2)·exp(-s / short_band_m)``, ``a`` =
    #: ``impact_across_p`` (0: ``a`` at every distance)
    short_band_m: float = 500.0
    #: markings name the right party
    marking_p: float = 0.98
    #: the event kind names the wrong phase (a launch heard as an explosion)
    phase_error_p: float = 0.02
    #: the direction class names the wrong phase (used for flares and
    #: undetermined kinds only, and for the kinds fusion took from the direction
    #: class, flag ``kind_by_direction``)
    direction_error_p: float = 0.15
    #: a paired launch point is on the wrong side for its round (pairing across
    #: return fire); combined with the impact's own evidence (impact_across_p)
    launch_error_p: float = 0.03
    #: ... when the pairing was a close call (fusion's ``pair_close_call``: another
    #: candidate launch or impact nearly as good)
    close_launch_error_p: float = 0.10
    #: a lone launch bearing joined to a located impact or to an impact bearing
    #: (fusion's ray pairing) points to the wrong side for the impact's round: the
    #: bearing leaves the launch distance free, so the join often takes another
    #: round (of the same battery or of the return fire)
    launch_ray_error_p: float = 0.11
    #: a fused position mixes reports of another round (association error)
    position_error_p: float = 0.01
    #: degrees of freedom of the Student t that a located launch's error across the
    #: line follows, in units of its stated σ (0: Gaussian). Stated σ are themselves
    #: uncertain (observers misstate theirs, clocks drift), so the tails are heavier
    #: than the Gaussian's: on the family's tuning draws |error| > 2 σ for 10 % of
    #: the fused launches and impacts (Gaussian 4.6 %), and the t's likelihood over
    #: their errors within 10 σ peaks at 3.5-4 (docs/family.md, session 18)
    position_dof: float = 4.0
    #: a lone bearing belongs to no round or another one (clutter, misassociation),
    #: or its source lies elsewhere on the ray than the density below puts it
    ray_error_p: float = 0.04
    #: ... for a lone burst or shot (small arms, heavy machine guns): fired from the
    #: forward positions on both sides of the line, heard only near it, so its ray
    #: says less about the side than a heavier weapon's
    burst_ray_error_p: float = 0.25
    #: a bearing without range: the source lies on the ray between these
    #: distances from the observer (m); its density along the ray is the area
    #: element (∝ distance) x the chance of hearing it (1 / (1 + (d / L)⁴), L the
    #: weapon's 50 % hearing distance) x the density of sources, which falls off
    #: with the distance from the contact line (exp(-|s| / ray_band_m))
    ray_min_m: float = 150.0
    ray_max_m: float = 40_000.0
    ray_samples: int = 32
    ray_band_m: float = 1_100.0
    hearing_l50_m: tuple[tuple[str, float], ...] = (
        ("mortar", 4_000.0),
        ("artillery", 10_000.0),
        ("mlrs", 12_000.0),
        ("tank", 6_000.0),
        ("small_arms", 1_500.0),
        ("heavy_machine_gun", 2_500.0),
        ("undetermined", 5_000.0),
    )

    #: the allowances fitted by ``ceasefire calibrate`` (the others stay fixed), each
    #: with the range the fit may give it
    BOUNDS: ClassVar[dict[str, tuple[float, float]]] = {
        "impact_across_p": (0.5, 0.999),
        "launch_error_p": (0.0, 0.499),
        "close_launch_error_p": (0.0, 0.499),
        "launch_ray_error_p": (0.0, 0.499),
        "position_error_p": (0.0, 0.499),
        "ray_error_p": (0.0, 0.499),
        "burst_ray_error_p": (0.0, 0.499),
        "ray_band_m": (200.0, 40_000.0),
        "short_band_m": (0.0, 5_000.0),
    }
    FITTED: ClassVar[tuple[str, ...]] = tuple(BOUNDS)

    @classmethod
    def for_mandate(cls, mandate: Mandate) -> AttributionConfig:
        """The defaults, with the allowances ``mandate`` sets."""
        return cls(**mandate.doc.attribution.allowances.given())


def p_left(signed_m: F8, sigma_m: F8) -> F8:
    """P(the true position is left of the line), vectorized; NaN where unknown."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(ndtr(signed_m / sigma_m), dtype=np.float64)


def position_p_left(signed_m: F8, sigma_m: F8, cfg: AttributionConfig) -> F8:
    """P(a located source is left of the line): :func:`p_left` with the error's
    Student t of ``cfg.position_dof`` degrees of freedom (Gaussian at 0)."""
    if cfg.position_dof <= 0.0:
        return p_left(signed_m, sigma_m)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(stdtr(cfg.position_dof, signed_m / sigma_m), dtype=np.float64)


def launch_probability(t: EventTable, cfg: AttributionConfig) -> F8:
    """P(the event's sound source is the launch of a round, not its impact)."""
    # a kind fusion took from the direction class (no report named one) is as good
    # as that class: on the family's tuning draws such located launches stated 0.96
    # were right 5 of 13 times under the oracle's association (docs/family.md, session 19)
    k = np.where(t.kind_by_direction, -1, t.kind)
    by_dir = np.select(
        [t.direction == OUTGOING, t.direction == INCOMING],
        [1.0 - cfg.direction_error_p, cfg.direction_error_p],
        0.5,
    )
    return np.asarray(
        np.where(
            np.isin(k, LAUNCH_KINDS),
            1.0 - cfg.phase_error_p,
            np.where(k == EXPLOSION, cfg.phase_error_p, by_dir),
        ),
        dtype=np.float64,
    )


def across_p(s_m: F8, cfg: AttributionConfig) -> F8:
    """P(an impact ``s_m`` m from the line came from across it)."""
    a = cfg.impact_across_p
    if cfg.short_band_m <= 0.0:
        return np.full(np.shape(s_m), a)
    return np.asarray(a - (a - 0.5) * np.exp(-np.abs(s_m) / cfg.short_band_m), dtype=np.float64)


def impact_p_left(signed_m: F8, sigma_m: F8, cfg: AttributionConfig) -> F8:
    """P(shooter left) from an impact at Gaussian signed distance ``signed_m``
    (> 0 left, m) with ``sigma_m`` along the line's normal: the shooter is across
    from the impact with :func:`across_p` of its distance, averaged over the
    position. With ``a - (a - 1/2)·exp(-|s| / L)`` the average has a closed form:
    ``(1 - a)·Φ(z) + a·Φ(-z) + (a - 1/2)·(I₊ - I₋)``, ``z = μ / σ``,
    ``I± = E[exp(∓s / L); ±s > 0] = exp(∓μ / L + σ² / 2L²)·Φ((±μ - σ² / L) / σ)``."""
    a, big_l = cfg.impact_across_p, cfg.short_band_m
    with np.errstate(invalid="ignore", divide="ignore"):
        z = signed_m / sigma_m
        out = (1.0 - a) * ndtr(z) + a * ndtr(-z)
        if big_l > 0.0:
            c = sigma_m * sigma_m / (2.0 * big_l * big_l)
            k = sigma_m / big_l
            i_plus = np.exp(log_ndtr(z - k) - signed_m / big_l + c)
            i_minus = np.exp(log_ndtr(-z - k) + signed_m / big_l + c)
            band = (a - 0.5) * (i_plus - i_minus)
            # a position known to kilometres only (inf - inf): about 1/2 without the band
            out = np.where(np.isfinite(band), out + band, out)
    return np.asarray(out, dtype=np.float64)


def shooter_p_left(
    t: EventTable, cfg: AttributionConfig, cache: RayCache | None = None
) -> tuple[F8, npt.NDArray[np.object_]]:
    """For firing and explosion events: P(fired from the left side) and the basis
    of that number (``launch point``, ``firing position``, ``impact across the
    line``, ``launch bearing and the impact``, ``launch and impact bearings``,
    ``bearing ray``, ``none``)."""
    n = len(t)
    p = np.full(n, 0.5)
    basis = np.full(n, "none", dtype=object)
    q = launch_probability(t, cfg)
    launch = np.isfinite(t.launch_signed_m)
    err = np.where(t.close_pair[launch], cfg.close_launch_error_p, cfg.launch_error_p)
    p_launch = _blur(
        position_p_left(t.launch_signed_m[launch], t.launch_sigma_n_m[launch], cfg), err
    )
    # candidate launches across the line: the launch point names the wrong side with
    # their share of the flights' likelihood, up to a coin toss (then the impact's
    # own evidence decides). Not beyond: on the family's tuning draws the impact's
    # side was still the shooter's 79 % of the time where the doubt was above 0.6
    # (docs/family.md, session 15)
    doubt = _doubt_unless_short(
        t.side_doubt[launch], np.sign(t.launch_signed_m[launch]), t.signed_m[launch]
    )
    p_launch = _blur(p_launch, np.minimum(doubt, 0.5))
    # the impact of a paired round is independent evidence: fire is aimed across
    # the line, so an impact on the launch's own side casts doubt on the pairing
    lp = launch & t.has_pos
    p_imp = np.full(int(launch.sum()), 0.5)
    in_lp = lp[launch]
    p_imp[in_lp] = _impact_evidence(t, lp, cfg)
    p[launch] = _combine(p_launch, p_imp)
    basis[launch] = "launch point"
    pos = ~launch & t.has_pos
    sm, sn = t.signed_m[pos], t.sigma_n_m[pos]
    p[pos] = _blur(
        q[pos] * position_p_left(sm, sn, cfg) + (1.0 - q[pos]) * impact_p_left(sm, sn, cfg),
        cfg.position_error_p,
    )
    basis[pos] = np.where(q[pos] >= 0.5, "firing position", "impact across the line")
    # a located impact joined by a lone bearing of its launch (fusion's ray
    # pairing): the launch lies on that ray, weighed like a paired launch point
    has_ray = np.isfinite(t.observer_lat) & np.isfinite(t.bearing_deg)
    lray = pos & has_ray & (q < 0.5)
    if lray.any():
        on_ray = _blur(_ray_p_left(t, np.flatnonzero(lray), cfg, cache)[0], cfg.launch_ray_error_p)
        # rival launches across the line, as for a launch point (fusion's ray pairing)
        doubt = _doubt_unless_short(t.side_doubt[lray], np.sign(on_ray - 0.5), t.signed_m[lray])
        on_ray = _blur(on_ray, np.minimum(doubt, 0.5))
        p[lray] = _combine(on_ray, _impact_evidence(t, lray, cfg))
        basis[lray] = "launch bearing and the impact"
    ray = ~t.has_pos & has_ray
    if ray.any():
        on_ray, imp_ray = _ray_p_left(t, np.flatnonzero(ray), cfg, cache)
        # a launch bearing joined to an impact bearing (fusion's ray pairing, flag
        # ``paired``; the event keeps the launch's bearing): the join often takes
        # another round's impact, as a launch bearing joined to a located impact does
        # (on the family's tuning draws such pairs stated 0.94 were right 89 %,
        # lone launch bearings 96 %: docs/family.md, session 16)
        joined = t.paired[ray]
        err = np.select(
            [joined, np.isin(t.kind[ray], BURST_KINDS)],
            [cfg.launch_ray_error_p, cfg.burst_ray_error_p],
            cfg.ray_error_p,
        )
        p[ray] = _blur(q[ray] * on_ray + (1.0 - q[ray]) * imp_ray, err)
        basis[ray] = np.where(joined, "launch and impact bearings", "bearing ray")
    return p, basis


def _doubt_unless_short(doubt: F8, launch_side: F8, impact_signed_m: F8) -> F8:
    """A pair's side doubt (fusion's ``pair_side_doubt``), 0 where its impact lies on
    its launch's own side (``launch_side``: +1 left, -1 right, 0 on the line; NaN
    where unknown, as is ``impact_signed_m``).

    Such a round is a short one if the pair is right, and pairing chose it against
    the same-side cost; a rival launch across the line would make the impact an
    aimed round, so the doubt's blur and the impact's own evidence (fire is aimed
    across) together name the rival's party, from the flights and the aiming prior
    that the assignment had already weighed when it chose this launch. Such names
    were right 45 % of the time on the family's tuning draws (112 launch points with
    a doubt, stated 0.65-0.86; 35 % of the 63 with a doubt >= 0.2; docs/family.md,
    session 18), and without the doubt the Donbas calibration days lose less (mean
    log loss 0.3529 -> 0.3493)."""
    short = launch_side * np.sign(impact_signed_m) > 0.0  # NaN compares False
    return np.asarray(np.where(short, 0.0, doubt), dtype=np.float64)


def _impact_evidence(t: EventTable, sel: npt.NDArray[np.bool_], cfg: AttributionConfig) -> F8:
    """P(shooter left) from the located impacts ``sel`` alone: fired from across
    the line with :func:`across_p`."""
    return impact_p_left(t.signed_m[sel], t.sigma_n_m[sel], cfg)


def _combine(p1: F8, p2: F8) -> F8:
    """P(left) from two independent pieces of evidence, each alone giving ``p1``
    and ``p2`` from even prior odds (their odds multiply)."""
    a = p1 * p2
    b = (1.0 - p1) * (1.0 - p2)
    return np.asarray(a / np.maximum(a + b, 1e-300), dtype=np.float64)


def _blur(p: F8, err: float | F8) -> F8:
    """P(left) when the evidence points the wrong way with probability ``err``."""
    return np.asarray(p * (1.0 - err) + (1.0 - p) * err, dtype=np.float64)


#: geometry of bearing rays already sampled, by (rows, ray settings): for fits that
#: evaluate one table many times (``assess.calibration``)
RayCache = dict[tuple[bytes, float, float, int, tuple[tuple[str, float], ...]], tuple[F8, F8, F8]]


def _ray_geometry(
    t: EventTable, idx: npt.NDArray[np.intp], cfg: AttributionConfig
) -> tuple[F8, F8, F8]:
    """The samples' distances from the observer (m, shape ``(k,)``); stacked, whether
    each sample of each ray ``idx`` lies left of the line (1.0 / 0.0) and its
    distance to the line (m), shape ``(2, len(idx), k)``; and each ray's weapon's
    50 % hearing distance (m, shape ``(len(idx),)``)."""
    from ceasefire.geo import forward

    k = cfg.ray_samples
    q = (np.arange(k) + 0.5) / k
    dist = cfg.ray_min_m * (cfg.ray_max_m / cfg.ray_min_m) ** q  # log-spaced: dd ∝ d
    l50 = dict(cfg.hearing_l50_m)
    lw = np.array([l50.get(w, l50["undetermined"]) for w in t.weapon[idx]], dtype=np.float64)
    olat = np.repeat(t.observer_lat[idx], k)
    olon = np.repeat(t.observer_lon[idx], k)
    az = np.repeat(t.bearing_deg[idx], k)
    la, lo = forward(olat, olon, az, np.tile(dist, len(idx)))
    # the samples are (nearly) all distinct points: k distances along each ray, and
    # few rays share an observer and a bearing (174 of 17,800 on the stress day),
    # so the frame's search for repeats (a sort of len(idx) x k points, ~13 % of
    # this function) would never pay; projecting every sample gives the same bits
    near = t.line.nearest(la, lo, repeats=False)
    left = (near.side > 0).reshape(len(idx), k).astype(np.float64)
    s_m = near.distance_m.reshape(len(idx), k)
    return dist, np.stack([left, s_m]), lw


def _ray_p_left(
    t: EventTable, idx: npt.NDArray[np.intp], cfg: AttributionConfig, cache: RayCache | None = None
) -> tuple[F8, F8]:
    """Share of a bearing ray's source density (see :class:`AttributionConfig`)
    lying left of the line; and P(shooter left) were the source an impact, over
    the same density (:func:`across_p` of each sample's distance to the line)."""
    key = (idx.tobytes(), cfg.ray_min_m, cfg.ray_max_m, cfg.ray_samples, cfg.hearing_l50_m)
    got = cache.get(key) if cache is not None else None
    if got is None:
        got = _ray_geometry(t, idx, cfg)
        if cache is not None:
            cache[key] = got
    dist, geo, lw = got
    left, s_m = geo[0], geo[1]
    d = dist[None, :]
    w = d * d / (1.0 + (d / lw[:, None]) ** 4) * np.exp(-s_m / cfg.ray_band_m)
    total = w.sum(axis=1)
    a = across_p(s_m, cfg)
    imp = (w * (left * (1.0 - a) + (1.0 - left) * a)).sum(axis=1) / total
    on = (w * left).sum(axis=1) / total
    return np.asarray(on, dtype=np.float64), np.asarray(imp, dtype=np.float64)


def object_p_left(t: EventTable, marked_left: npt.NDArray[np.int8], cfg: AttributionConfig) -> F8:
    """For sightings: P(the object belongs to the left party). ``marked_left`` is
    +1 when markings name the left party, -1 the right one, 0 when unmarked.
    Markings decide when present (a marked weapon across the line is a crossing,
    not evidence of the other owner); otherwise the side where it stands."""
    p_side = np.where(t.has_pos, p_left(t.signed_m, t.sigma_n_m), 0.5)
    m = cfg.marking_p
    p = np.where(marked_left > 0, m, np.where(marked_left < 0, 1.0 - m, p_side))
    return np.asarray(p, dtype=np.float64)
