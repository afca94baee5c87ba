//! Charts as SVG drawn on the server: no script, no library in the
//! browser, and nothing to load. This module works out the geometry from
//! the figures; `templates/macros.html` draws it, so every label is
//! escaped like any other text. Each chart stands beside a table of the
//! same figures, which is what screen readers read and people copy.

/// A series of figures: its name in the legend and its colour. Colours are
/// GOV.UK's blue and green, each over 3:1 against white (WCAG 1.4.11).
#[derive(Debug, Clone)]
pub struct Series {
    /// Its name in the legend.
    pub name: String,
    /// Its fill or stroke colour.
    pub colour: &'static str,
}

/// The first series' colour.
pub const BLUE: &str = "#1d70b8";
/// The second series' colour.
pub const GREEN: &str = "#0f7a52";

/// A rectangle: a bar, or a legend's swatch.
#[derive(Debug)]
pub struct Rect {
    /// Left edge.
    pub x: i64,
    /// Top edge.
    pub y: i64,
    /// Width.
    pub width: i64,
    /// Height.
    pub height: i64,
    /// Fill colour.
    pub colour: &'static str,
    /// What a pointer over it says (empty for none).
    pub tip: String,
}

/// A piece of text.
#[derive(Debug)]
pub struct Text {
    /// Anchor point, across.
    pub x: i64,
    /// Baseline.
    pub y: i64,
    /// `start`, `middle` or `end`.
    pub anchor: &'static str,
    /// What it says.
    pub text: String,
}

/// A line: an axis or a guide.
#[derive(Debug)]
pub struct Rule {
    /// Start, across.
    pub x1: i64,
    /// Start, down.
    pub y1: i64,
    /// End, across.
    pub x2: i64,
    /// End, down.
    pub y2: i64,
}

/// A series drawn as a line through its points, with a dot on each.
#[derive(Debug)]
pub struct Polyline {
    /// `x,y x,y …`.
    pub points: String,
    /// Each point, for its dot and what a pointer over it says.
    pub dots: Vec<(i64, i64, String)>,
    /// Stroke colour.
    pub colour: &'static str,
}

/// A chart ready to draw.
#[derive(Debug)]
pub struct Chart {
    /// Unique on its page, for `aria-labelledby`.
    pub id: String,
    /// What it shows, read out as its name.
    pub title: String,
    /// Width of its drawing space.
    pub width: i64,
    /// Height of its drawing space.
    pub height: i64,
    /// Guides and axes.
    pub rules: Vec<Rule>,
    /// Bars and legend swatches.
    pub rects: Vec<Rect>,
    /// Lines of figures over time.
    pub lines: Vec<Polyline>,
    /// Labels, values and the legend's words.
    pub texts: Vec<Text>,
}

const WIDTH: i64 = 720;
const LEGEND: i64 = 34;
const LABELS: i64 = 210;
const VALUES: i64 = 130;
const BAR: i64 = 17;
const GAP: i64 = 12;
const LONGEST_LABEL: usize = 26;

/// `value` as a share of `max` of `length`, rounded down; 0 when there is
/// nothing to show. Negative figures draw as nothing.
fn scaled(value: i64, max: i64, length: i64) -> i64 {
    if max <= 0 || value <= 0 {
        return 0;
    }
    let share = i128::from(value) * i128::from(length) / i128::from(max);
    i64::try_from(share).unwrap_or(length)
}

/// A label cut to fit beside the bars; the table beside the chart has it
/// in full.
fn fitted(label: &str) -> String {
    if label.chars().count() <= LONGEST_LABEL {
        label.to_owned()
    } else {
        let mut cut: String = label.chars().take(LONGEST_LABEL - 1).collect();
        cut.push('…');
        cut
    }
}

fn legend(series: &[Series], rects: &mut Vec<Rect>, texts: &mut Vec<Text>) {
    let mut x = 0;
    for s in series {
        rects.push(Rect {
            x,
            y: 8,
            width: 16,
            height: 16,
            colour: s.colour,
            tip: String::new(),
        });
        texts.push(Text {
            x: x + 22,
            y: 21,
            anchor: "start",
            text: s.name.clone(),
        });
        let name_width = i64::try_from(s.name.chars().count()).unwrap_or(40) * 8;
        x += 22 + name_width + 24;
    }
}

/// Horizontal bars: one group a category, one bar a series. `format`
/// writes a figure as the reader should see it.
#[must_use]
pub fn bars(
    id: &str,
    title: String,
    series: &[Series],
    categories: &[(String, Vec<i64>)],
    format: impl Fn(i64) -> String,
) -> Chart {
    let per_group = BAR * i64::try_from(series.len()).unwrap_or(1) + GAP;
    let groups = i64::try_from(categories.len()).unwrap_or(0);
    let height = LEGEND + per_group * groups + GAP;
    let plot = WIDTH - LABELS - VALUES;
    let max = categories
        .iter()
        .flat_map(|(_, values)| values.iter().copied())
        .max()
        .unwrap_or(0);
    let (mut rects, mut texts) = (Vec::new(), Vec::new());
    legend(series, &mut rects, &mut texts);
    for (g, (label, values)) in (0_i64..).zip(categories) {
        let top = LEGEND + g * per_group;
        texts.push(Text {
            x: LABELS - 8,
            y: top + per_group / 2 + 2,
            anchor: "end",
            text: fitted(label),
        });
        for ((i, value), s) in (0_i64..).zip(values).zip(series) {
            let y = top + i * BAR;
            let width = scaled(*value, max, plot);
            let shown = format(*value);
            rects.push(Rect {
                x: LABELS,
                y,
                width,
                height: BAR - 2,
                colour: s.colour,
                tip: format!("{}: {shown}", s.name),
            });
            texts.push(Text {
                x: LABELS + width + 6,
                y: y + BAR - 3,
                anchor: "start",
                text: shown,
            });
        }
    }
    Chart {
        id: id.to_owned(),
        title,
        width: WIDTH,
        height,
        rules: vec![Rule {
            x1: LABELS,
            y1: LEGEND - 4,
            x2: LABELS,
            y2: height - GAP / 2,
        }],
        rects,
        lines: Vec::new(),
        texts,
    }
}

const LINE_HEIGHT: i64 = 300;
const AXIS_LEFT: i64 = 120;
const AXIS_BOTTOM: i64 = 36;
const RIGHT: i64 = 24;

/// Lines of figures over time: one line a series, one point a period,
/// with guides at nothing, half the largest figure and the largest.
#[must_use]
pub fn lines(
    id: &str,
    title: String,
    series: &[Series],
    periods: &[String],
    values: &[Vec<i64>],
    format: impl Fn(i64) -> String,
) -> Chart {
    let (mut rects, mut texts) = (Vec::new(), Vec::new());
    legend(series, &mut rects, &mut texts);
    let (top, bottom) = (LEGEND + 10, LINE_HEIGHT - AXIS_BOTTOM);
    let plot_height = bottom - top;
    let plot_width = WIDTH - AXIS_LEFT - RIGHT;
    let max = values.iter().flatten().copied().max().unwrap_or(0).max(0);
    let mut rules = Vec::new();
    for step in [0, 1, 2] {
        let figure = max / 2 * step + if step == 2 { max % 2 } else { 0 };
        let y = bottom - scaled(figure, max, plot_height);
        rules.push(Rule {
            x1: AXIS_LEFT,
            y1: y,
            x2: WIDTH - RIGHT,
            y2: y,
        });
        texts.push(Text {
            x: AXIS_LEFT - 8,
            y: y + 5,
            anchor: "end",
            text: format(figure),
        });
        if max == 0 {
            break;
        }
    }
    let n = i64::try_from(periods.len()).unwrap_or(0);
    let x_of = |i: i64| {
        if n <= 1 {
            AXIS_LEFT + plot_width / 2
        } else {
            AXIS_LEFT + i * plot_width / (n - 1)
        }
    };
    // First, last and middle periods named under the axis.
    let mut named: Vec<i64> = vec![0, n / 2, n - 1];
    named.dedup();
    for i in named.into_iter().filter(|i| (0..n).contains(i)) {
        let label = usize::try_from(i)
            .ok()
            .and_then(|i| periods.get(i))
            .cloned()
            .unwrap_or_default();
        let anchor = match (n, i) {
            (1, _) => "middle",
            (_, 0) => "start",
            (_, i) if i == n - 1 => "end",
            _ => "middle",
        };
        texts.push(Text {
            x: x_of(i),
            y: LINE_HEIGHT - 10,
            anchor,
            text: label,
        });
    }
    let lines = series
        .iter()
        .zip(values)
        .map(|(s, figures)| {
            let dots: Vec<(i64, i64, String)> = (0_i64..)
                .zip(figures)
                .map(|(i, v)| {
                    let label = usize::try_from(i)
                        .ok()
                        .and_then(|i| periods.get(i))
                        .cloned()
                        .unwrap_or_default();
                    (
                        x_of(i),
                        bottom - scaled(*v, max, plot_height),
                        format!("{}, {label}: {}", s.name, format(*v)),
                    )
                })
                .collect();
            Polyline {
                points: dots
                    .iter()
                    .map(|(x, y, _)| format!("{x},{y}"))
                    .collect::<Vec<_>>()
                    .join(" "),
                dots,
                colour: s.colour,
            }
        })
        .collect();
    Chart {
        id: id.to_owned(),
        title,
        width: WIDTH,
        height: LINE_HEIGHT,
        rules,
        rects,
        lines,
        texts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two() -> Vec<Series> {
        vec![
            Series {
                name: "Committed".into(),
                colour: BLUE,
            },
            Series {
                name: "Paid".into(),
                colour: GREEN,
            },
        ]
    }

    #[test]
    fn bars_are_in_proportion_to_the_largest_figure() {
        let chart = bars(
            "c",
            "t".into(),
            &two(),
            &[
                ("Round 1".into(), vec![200, 50]),
                ("Round 2".into(), vec![100, 0]),
            ],
            |v| v.to_string(),
        );
        let widths: Vec<i64> = chart
            .rects
            .iter()
            .filter(|r| !r.tip.is_empty())
            .map(|r| r.width)
            .collect();
        let full = WIDTH - LABELS - VALUES;
        assert_eq!(widths, [full, full / 4, full / 2, 0]);
        assert!(chart.texts.iter().any(|t| t.text == "Round 2"));
        assert_eq!(chart.height, LEGEND + 2 * (2 * BAR + GAP) + GAP);
    }

    #[test]
    fn nothing_to_show_draws_no_bar_and_does_not_divide_by_zero() {
        let chart = bars("c", "t".into(), &two(), &[("R".into(), vec![0, -5])], |v| {
            v.to_string()
        });
        assert!(chart.rects.iter().all(|r| r.tip.is_empty() || r.width == 0));
        let line = lines("l", "t".into(), &two(), &[], &[vec![], vec![]], |v| {
            v.to_string()
        });
        assert!(line.lines.iter().all(|l| l.dots.is_empty()));
    }

    #[test]
    fn long_labels_are_cut_with_an_ellipsis() {
        let long = "The Greater Manchester Combined Authority Area";
        assert_eq!(fitted(long).chars().count(), LONGEST_LABEL);
        assert!(fitted(long).ends_with('…'));
        assert_eq!(fitted("Wales"), "Wales");
    }

    #[test]
    fn lines_run_from_the_first_period_to_the_last_and_peak_at_the_top() {
        let periods: Vec<String> = ["Jan", "Feb", "Mar"].map(String::from).to_vec();
        let chart = lines(
            "l",
            "t".into(),
            &two(),
            &periods,
            &[vec![10, 20, 40], vec![0, 5, 10]],
            |v| v.to_string(),
        );
        let committed = &chart.lines[0].dots;
        assert_eq!(committed[0].0, AXIS_LEFT);
        assert_eq!(committed[2].0, WIDTH - RIGHT);
        assert_eq!(
            committed[2].1,
            LEGEND + 10,
            "the largest figure is at the top"
        );
        assert_eq!(chart.lines[1].dots[0].1, LINE_HEIGHT - AXIS_BOTTOM);
        let axis: Vec<&str> = chart
            .texts
            .iter()
            .filter(|t| t.y == LINE_HEIGHT - 10)
            .map(|t| t.text.as_str())
            .collect();
        assert_eq!(axis, ["Jan", "Feb", "Mar"]);
    }
}
