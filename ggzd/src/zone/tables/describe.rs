//! Game server messages as one readable log line each (rather than the
//! `Debug` form of the whole message, reports included).

use ggzdmod::wire::{GameResult, GameState, ReportRecord, SeatKind, ToServer};

/// `state playing`, `report: alice (player) win, bob (player) loss`, ...
pub(crate) fn game_message(message: &ToServer) -> String {
    match message {
        ToServer::Log(text) => format!("log: {text}"),
        ToServer::State(state) => format!("state {}", state_name(*state)),
        ToServer::InvalidState(value) => format!("state {value} (invalid)"),
        ToServer::NumSeats(n) => format!("{n} seats, please"),
        ToServer::Boot(name) => format!("boot {name}"),
        ToServer::Bot(seat) => format!("a bot for seat {seat}"),
        ToServer::Open(seat) => format!("open seat {seat}"),
        ToServer::Report(records) => {
            let records: Vec<String> = records.iter().map(record).collect();
            format!("report: {}", records.join("; "))
        }
        ToServer::InvalidReport {
            record,
            field,
            value,
        } => format!("report with record {record} {field} {value} (invalid)"),
        ToServer::SavegameReport(name) => format!("savegame {name}"),
    }
}

fn state_name(state: GameState) -> &'static str {
    match state {
        GameState::Created => "created",
        GameState::Waiting => "waiting",
        GameState::Playing => "playing",
        GameState::Done => "done",
    }
}

fn record(r: &ReportRecord) -> String {
    let kind = match r.kind {
        SeatKind::Player => "player",
        SeatKind::Bot => "bot",
        SeatKind::Abandoned => "abandoned",
        SeatKind::Open => "open",
        SeatKind::Reserved => "reserved",
        SeatKind::None => "none",
    };
    let result = match r.result {
        GameResult::Win => "win",
        GameResult::Loss => "loss",
        GameResult::Tie => "tie",
        GameResult::Forfeit => "forfeit",
        GameResult::None => "no result",
    };
    let mut text = format!("{} ({kind}) {result}", r.name);
    if r.team >= 0 {
        text.push_str(&format!(", team {}", r.team));
    }
    if r.score != 0 {
        text.push_str(&format!(", score {}", r.score));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_reads_as_names_and_results() {
        let records = vec![
            ReportRecord {
                name: "alice".into(),
                kind: SeatKind::Player,
                team: -1,
                result: GameResult::Win,
                score: 0,
            },
            ReportRecord {
                name: "AI".into(),
                kind: SeatKind::Bot,
                team: 1,
                result: GameResult::Loss,
                score: 3,
            },
        ];
        assert_eq!(
            game_message(&ToServer::Report(records)),
            "report: alice (player) win; AI (bot) loss, team 1, score 3"
        );
        assert_eq!(
            game_message(&ToServer::State(GameState::Waiting)),
            "state waiting"
        );
    }
}
