//! The colours procdemo writes in, all of them here.
//!
//! Every ink reads on a white screen and on a black one: its contrast
//! against both is at least 4.5:1 (WCAG 2 AA for text), so the relative
//! luminance of each lies between 0.175 and 0.183. A class projector or a
//! light terminal theme loses nothing. The inks are codes of the xterm
//! 256-colour palette (`38;5;N`), whose colours 16–255 are fixed RGB values
//! that themes leave alone; 24-bit colour would be exact too, but `colored`
//! turns it into one of the 16 theme colours when `COLORTERM` is unset, and
//! those are whatever the theme makes them (yellow on white: 1.7:1).
//! Long text (code, values) stays in the default foreground, bold or not,
//! which the theme itself keeps readable. Every coloured word keeps its
//! meaning without colour: roles, verdicts and marks are words or symbols.

use colored::{Color, ColoredString, Colorize};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ink {
    /// What frames the lesson: rules, counters, labels, tree branches.
    Muted,
    /// Inline `code`, commands to type, the heading of a Python block.
    Code,
    /// The parent's role in the evidence.
    Parent,
    /// Every other role: child, worker, reader…
    Child,
    /// The heading of a "what the OS does" block.
    Os,
    /// A right answer, a finished lesson, a clean end.
    Good,
    /// A wrong answer, a zombie, a failure; warnings too.
    Bad,
}

impl Ink {
    /// Its code in the xterm 256-colour palette.
    const fn code(self) -> u8 {
        match self {
            // #767676, grey
            Ink::Muted => 243,
            // #00875f, sea green
            Ink::Code => 29,
            // #5f5fff, blue
            Ink::Parent => 63,
            // #875fd7, violet
            Ink::Child => 98,
            // #d700af, magenta
            Ink::Os => 163,
            // #00875f, sea green
            Ink::Good => 29,
            // #af5f5f, brick red
            Ink::Bad => 131,
        }
    }

    pub fn paint(self, text: &str) -> ColoredString {
        text.color(Color::AnsiColor(self.code()))
    }
}

/// Looks for [`super::layout::Text`]: an ink, or bold in the default colour.
pub fn code(text: &str) -> String {
    Ink::Code.paint(text).to_string()
}

/// Code in bold: a command to type, a heading in the code's colour.
pub fn code_bold(text: &str) -> String {
    Ink::Code.paint(text).bold().to_string()
}

pub fn muted(text: &str) -> String {
    Ink::Muted.paint(text).to_string()
}

pub fn bold(text: &str) -> String {
    text.bold().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Ink; 7] = [
        Ink::Muted,
        Ink::Code,
        Ink::Parent,
        Ink::Child,
        Ink::Os,
        Ink::Good,
        Ink::Bad,
    ];

    /// The RGB of an xterm colour of the 6×6×6 cube or the grey ramp.
    fn rgb(code: u8) -> [u8; 3] {
        const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];
        match code {
            16..=231 => {
                let at = usize::from(code - 16);
                [LEVELS[at / 36], LEVELS[at / 6 % 6], LEVELS[at % 6]]
            }
            232..=255 => [8 + 10 * (code - 232); 3],
            _ => panic!("colour {code} is one the theme chooses"),
        }
    }

    /// WCAG 2 relative luminance.
    fn luminance([r, g, b]: [u8; 3]) -> f64 {
        let linear = |channel: u8| {
            let c = f64::from(channel) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    }

    fn contrast(a: f64, b: f64) -> f64 {
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    #[test]
    fn every_ink_reads_on_white_and_on_black() {
        assert!((contrast(luminance([255, 255, 255]), 0.0) - 21.0).abs() < 1e-9);
        for ink in ALL {
            let shade = luminance(rgb(ink.code()));
            let on_white = contrast(shade, 1.0);
            let on_black = contrast(shade, 0.0);
            assert!(
                on_white >= 4.5 && on_black >= 4.5,
                "{ink:?}: {on_white:.2}:1 on white, {on_black:.2}:1 on black"
            );
        }
    }
}
