"""The demo data's own words in the seed's language: pipeline and stage names, deal titles, positions, job
titles, industries, lost reasons, campaign names, activity subjects and comments.

The seed writes English; ``localise`` then rewrites those values once, so a Russian, Ukrainian or Bulgarian
demo team starts with a board, calendar and lists in its language. These are the team's data from then on
(a stage name is renamed like any other), not translated at display time; built-in codes such as channels
and lifecycle stay codes and are translated where they are shown (components/i18n).
"""

from __future__ import annotations

import json
import re
import sqlite3

LANGUAGES = ("en", "ru", "uk", "bg")
# English -> (ru, uk, bg), one table of words per column they live in
PIPELINES = {"Sales": ("Продажи", "Продажі", "Продажби"),
             "Recruiting": ("Подбор персонала", "Підбір персоналу", "Подбор на персонал")}
STAGES = {"Lead": ("Лид", "Лід", "Потенциален клиент"), "Qualified": ("Квалифицирован", "Кваліфікований", "Квалифициран"),
          "Proposal": ("Предложение", "Пропозиція", "Оферта"), "Negotiation": ("Переговоры", "Переговори", "Преговори"),
          "Won": ("Выиграна", "Виграна", "Спечелена"), "Lost": ("Проиграна", "Програна", "Загубена"),
          "Applied": ("Отклик", "Відгук", "Кандидатствал"), "Screening": ("Отбор резюме", "Відбір резюме", "Преглед на CV"),
          "Interview": ("Собеседование", "Співбесіда", "Интервю"), "Offer": ("Оффер", "Офер", "Предложение за работа"),
          "Hired": ("Нанят", "Найнято", "Нает"), "Rejected": ("Отказ", "Відмова", "Отказан")}
DEAL = ("Сделка", "Угода", "Сделка")
DEAL_KINDS = {"Licences": ("Лицензии", "Ліцензії", "Лицензи"), "Renewal": ("Продление", "Продовження", "Подновяване"),
              "Upgrade": ("Расширение", "Розширення", "Надграждане"), "Services": ("Услуги", "Послуги", "Услуги"),
              "Hardware": ("Оборудование", "Обладнання", "Хардуер"), "Training": ("Обучение", "Навчання", "Обучение")}
POSITIONS = {"Account Executive": ("Менеджер по продажам", "Менеджер з продажу", "Търговски представител"),
             "Support Engineer": ("Инженер поддержки", "Інженер підтримки", "Инженер поддръжка"),
             "Data Analyst": ("Аналитик данных", "Аналітик даних", "Анализатор на данни"),
             "Office Manager": ("Офис-менеджер", "Офіс-менеджер", "Офис мениджър")}
JOB_TITLES = {**POSITIONS, "CEO": ("Генеральный директор", "Генеральний директор", "Изпълнителен директор"),
              "CTO": ("Технический директор", "Технічний директор", "Технически директор"),
              "Buyer": ("Закупщик", "Закупівельник", "Купувач"),
              "Head of Sales": ("Руководитель отдела продаж", "Керівник відділу продажів", "Ръководител продажби"),
              "Engineer": ("Инженер", "Інженер", "Инженер"), "Candidate": ("Кандидат", "Кандидат", "Кандидат")}
INDUSTRIES = {"Software": ("Программное обеспечение", "Програмне забезпечення", "Софтуер"),
              "Retail": ("Розничная торговля", "Роздрібна торгівля", "Търговия на дребно"),
              "Manufacturing": ("Производство", "Виробництво", "Производство"),
              "Logistics": ("Логистика", "Логістика", "Логистика"),
              "Healthcare": ("Здравоохранение", "Охорона здоров'я", "Здравеопазване"),
              "Finance": ("Финансы", "Фінанси", "Финанси"), "Education": ("Образование", "Освіта", "Образование"),
              "Media": ("Медиа", "Медіа", "Медии")}
LOST_REASONS = {"Price": ("Цена", "Ціна", "Цена"),
                "Chose a competitor": ("Выбрали конкурента", "Обрали конкурента", "Избраха конкурент"),
                "No budget": ("Нет бюджета", "Немає бюджету", "Няма бюджет"),
                "No decision": ("Нет решения", "Немає рішення", "Няма решение"),
                "Timing": ("Не время", "Не на часі", "Неподходящ момент"),
                "Not a fit": ("Не подходит", "Не підходить", "Не подхожда")}
CHANNELS = {"Organic Search": ("Органический поиск", "Органічний пошук", "Органично търсене"),
            "Paid Search": ("Платный поиск", "Платний пошук", "Платено търсене"),
            "Social": ("Соцсети", "Соцмережі", "Социални мрежи"), "Email": ("Email-рассылки", "Email-розсилки", "Имейл"),
            "Events": ("Мероприятия", "Заходи", "Събития"), "Referral": ("Рекомендации", "Рекомендації", "Препоръки"),
            "Partners": ("Партнёры", "Партнери", "Партньори")}
SUBJECTS = {
    "Discovery call": ("Знакомство", "Знайомство", "Опознавателен разговор"),
    "Follow-up call": ("Повторный звонок", "Повторний дзвінок", "Последващо обаждане"),
    "Pricing call": ("Обсуждение цены", "Обговорення ціни", "Разговор за цена"),
    "Check-in call": ("Звонок-сверка", "Дзвінок-звірка", "Контролно обаждане"),
    "Demo": ("Демонстрация", "Демонстрація", "Демонстрация"),
    "Quarterly review": ("Квартальный обзор", "Квартальний огляд", "Тримесечен преглед"),
    "Onboarding session": ("Вводная встреча", "Вступна зустріч", "Въвеждаща среща"),
    "Contract meeting": ("Встреча по договору", "Зустріч щодо договору", "Среща за договора"),
    "Sent proposal": ("Отправлено предложение", "Надіслано пропозицію", "Изпратена оферта"),
    "Sent invoice": ("Отправлен счёт", "Надіслано рахунок", "Изпратена фактура"),
    "Answered question": ("Ответ на вопрос", "Відповідь на запитання", "Отговор на въпрос"),
    "Newsletter reply": ("Ответ на рассылку", "Відповідь на розсилку", "Отговор на бюлетин"),
    "Send quote": ("Отправить КП", "Надіслати КП", "Изпрати оферта"),
    "Prepare contract": ("Подготовить договор", "Підготувати договір", "Подготви договор"),
    "Update CRM record": ("Обновить карточку в CRM", "Оновити картку в CRM", "Обнови записа в CRM"),
    "Book a demo": ("Назначить демо", "Призначити демо", "Насрочи демо"),
    "Call back": ("Перезвонить", "Передзвонити", "Обади се обратно"),
    "Budget approved next quarter": ("Бюджет утвердят в следующем квартале", "Бюджет затвердять наступного кварталу",
                                     "Бюджетът ще бъде одобрен следващото тримесечие"),
    "Prefers email": ("Предпочитает email", "Надає перевагу email", "Предпочита имейл"),
    "Decision maker is the CFO": ("Решение принимает финансовый директор", "Рішення ухвалює фінансовий директор",
                                  "Решението взема финансовият директор"),
    "Late delivery": ("Задержка поставки", "Затримка постачання", "Закъсняла доставка"),
    "Invoice error": ("Ошибка в счёте", "Помилка в рахунку", "Грешка във фактурата"),
    "Product defect": ("Брак товара", "Дефект товару", "Дефект на продукта"),
    "Slow support answer": ("Медленный ответ поддержки", "Повільна відповідь підтримки", "Бавен отговор от поддръжката"),
}
COMMENTS = {
    "Spoke with the buyer, positive.": ("Поговорил с закупщиком, настроен позитивно.",
                                        "Поговорив із закупівельником, налаштований позитивно.",
                                        "Говорих с купувача, настроен е положително."),
    "Waiting for the signed order.": ("Ждём подписанный заказ.", "Чекаємо на підписане замовлення.",
                                      "Чакаме подписаната поръчка."),
    "Asked for a discount.": ("Попросили скидку.", "Попросили знижку.", "Поискаха отстъпка."),
    "Introduced to the new IT lead.": ("Познакомились с новым руководителем ИТ.",
                                       "Познайомилися з новим керівником ІТ.", "Запознахме се с новия ръководител на ИТ."),
}
FEEDBACK = {"Great support": ("Отличная поддержка", "Чудова підтримка", "Чудесна поддръжка"),
            "Too expensive": ("Слишком дорого", "Занадто дорого", "Твърде скъпо"),
            "Works well": ("Работает хорошо", "Працює добре", "Работи добре"),
            "Slow delivery": ("Медленная доставка", "Повільна доставка", "Бавна доставка")}
# (table, column, words): values replaced whole
COLUMNS = (("pipelines", "name", PIPELINES), ("stages", "name", STAGES), ("companies", "industry", INDUSTRIES),
           ("contacts", "title", JOB_TITLES), ("deals", "lost_reason", LOST_REASONS),
           ("activities", "subject", SUBJECTS), ("comments", "body", COMMENTS), ("feedback", "comment", FEEDBACK))
SALES_TITLE = re.compile(r"^Deal (\d+): (.+)$")
CANDIDATE_TITLE = re.compile(r"^(.+) — (.+)$")
CAMPAIGN = re.compile(r"^(.+) (Q\d \d{4})$")


def localise(conn: sqlite3.Connection, language: str) -> None:
    """Rewrite the English demo words in ``language`` (en: nothing to do). Call inside a write transaction,
    after the search indexes hold the rows (the update triggers keep them current)."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    if language == "en":
        return
    i = LANGUAGES.index(language) - 1
    conn.execute("CREATE TEMP TABLE seed_words (old TEXT PRIMARY KEY, new TEXT NOT NULL) WITHOUT ROWID")
    try:
        for table, column, words in COLUMNS:  # one pass over each table, however many words it has
            conn.execute("DELETE FROM seed_words")
            conn.executemany("INSERT INTO seed_words VALUES (?, ?)", [(k, v[i]) for k, v in words.items()])
            conn.execute(f"UPDATE {table} SET {column} = (SELECT new FROM seed_words WHERE old = {table}.{column}) "  # noqa: S608 - names from COLUMNS
                         f"WHERE {column} IN (SELECT old FROM seed_words)")
    finally:
        conn.execute("DROP TABLE seed_words")
    titles = []
    for deal_id, title in conn.execute("SELECT id, title FROM deals"):
        sale, candidate = SALES_TITLE.match(title), CANDIDATE_TITLE.match(title)
        if sale and sale[2] in DEAL_KINDS:
            titles.append((f"{DEAL[i]} {sale[1]}: {DEAL_KINDS[sale[2]][i]}", deal_id))
        elif candidate and candidate[2] in POSITIONS:
            titles.append((f"{candidate[1]} — {POSITIONS[candidate[2]][i]}", deal_id))
    conn.executemany("UPDATE deals SET title = ? WHERE id = ?", titles)
    names = [(f"{CHANNELS[m[1]][i]} {m[2]}", cid) for cid, name in conn.execute("SELECT id, name FROM campaigns")
             if (m := CAMPAIGN.match(name)) and m[1] in CHANNELS]
    conn.executemany("UPDATE campaigns SET name = ? WHERE id = ?", names)
    reasons = [v[i] for k, v in LOST_REASONS.items() if k != "Not a fit"]
    conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('lost_reasons', ?)",
                 (json.dumps(reasons, ensure_ascii=False),))
    conn.execute("UPDATE users SET language = ? WHERE role != 'rep'", (language,))
